import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import { PredictionLogStream } from '@msp/contracts';
import { ensureInfra, ensureModels, findFreePort, modelsDir, opsReadiness, repoRoot, startApp, type ServiceProcess } from '@msp/topology';
import { measureCpu, pidsNamed } from './cpu.js';
import { runLoad, type LoadResult } from './load.js';
import { printTable, writeResults, type BenchRow } from './report.js';

/**
 * `pnpm bench`: what tracing and the prediction log cost on the synchronous path. Two stacks
 * run side by side on one NATS — gateway → predictor (a copy of iris-mlp each) — one with both
 * on (OTLP export to a sink in this process, every prediction published to JetStream), one with
 * both off (no OTLP endpoint, PREDICTION_LOG=off) — and are loaded in alternating rounds, so
 * machine drift hits both. Raw reference: the same stack, off. The log's consumer (the monitor)
 * is not on the synchronous path and is measured on its own (log-store.bench.ts);
 * BENCH_MONITOR=on runs one here too, storing what the "on" stack publishes on the same cores.
 * Env: BENCH_DURATION_MS (default 5000), BENCH_CONCURRENCY (default "64"), BENCH_ROUNDS (default 5),
 * BENCH_ON (default "tracing,log"; "tracing" or "log" turns on one of them only). Sampling is the
 * services' default (1 % of requests without a sampled traceparent) unless OTEL_TRACES_SAMPLER(_ARG)
 * say otherwise, e.g. `OTEL_TRACES_SAMPLER=parentbased_always_on` to record every request.
 */
const durationMs = Number(process.env['BENCH_DURATION_MS'] ?? 5000);
const warmupMs = Math.min(1000, durationMs / 5);
const concurrencies = (process.env['BENCH_CONCURRENCY'] ?? '64').split(',').map(Number);
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 5);
const colocatedMonitor = process.env['BENCH_MONITOR'] === 'on';
const SOURCE = 'iris-mlp';
const body = JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }] });

/** An OTLP/HTTP endpoint that takes every export and keeps nothing. */
async function otlpSink(): Promise<{ url: string; spans: () => number; close: () => void }> {
  let batches = 0;
  const server = createServer((request, response) => {
    request.resume();
    request.on('end', () => {
      batches++;
      response.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, spans: () => batches, close: () => server.close() };
}

/**
 * Takes the "on" stack's records out of the shared log again: nobody reads them, and a monitor
 * (or an e2e run) on this NATS would otherwise first work through millions of them.
 */
async function purgeLog(natsUrl: string, model: string): Promise<void> {
  const nc = await connect({ servers: natsUrl, timeout: 5_000 });
  try {
    const jsm = await jetstreamManager(nc, { timeout: 10_000 });
    const { purged } = await jsm.streams.purge(PredictionLogStream.name, { filter: PredictionLogStream.subject(model) });
    console.log(`purged the bench's ${purged} prediction log messages from ${PredictionLogStream.name}`);
  } catch (error) {
    console.warn(`the bench's prediction log messages were not purged: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await nc.close();
  }
}

/** A copy of the source model under `name` in `dir`. */
async function copyModel(dir: string, name: string): Promise<void> {
  const target = join(dir, name);
  await cp(join(modelsDir(), SOURCE), target, { recursive: true });
  const manifestPath = join(target, 'manifest.json');
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Record<string, unknown>;
  await writeFile(manifestPath, JSON.stringify({ ...manifest, name }));
}

async function main(): Promise<void> {
  const modelsExit = await ensureModels();
  if (modelsExit !== 0) throw new Error(`training the missing models failed (exit ${modelsExit})`);
  const natsUrl = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
  const infra = await ensureInfra({ natsUrl });
  const sink = await otlpSink();
  const dir = await mkdtemp(join(tmpdir(), 'msp-bench-obs-'));
  const started: ServiceProcess[] = [];
  const stacks = { on: `bench-obs-on-${process.pid}`, off: `bench-obs-off-${process.pid}` };
  const rows: BenchRow[] = [];
  const byMode: Record<'on' | 'off', Record<number, LoadResult[]>> = { on: {}, off: {} };
  const cpuByMode: Record<'on' | 'off', Record<number, number[]>> = { on: {}, off: {} };
  const natsByMode: Record<'on' | 'off', Record<number, number[]>> = { on: {}, off: {} };
  try {
    // BENCH_ON=tracing or BENCH_ON=log measures one of the two alone.
    const wanted = (process.env['BENCH_ON'] ?? 'tracing,log').split(',');
    const on = {
      OTEL_EXPORTER_OTLP_ENDPOINT: wanted.includes('tracing') ? sink.url : undefined,
      OTEL_SDK_DISABLED: undefined,
      PREDICTION_LOG: wanted.includes('log') ? 'on' : 'off',
    };
    const off = { OTEL_EXPORTER_OTLP_ENDPOINT: undefined, OTEL_SDK_DISABLED: undefined, PREDICTION_LOG: 'off' };
    const gateways: Record<'on' | 'off', string> = { on: '', off: '' };
    const pids: Record<'on' | 'off', Record<string, number | undefined>> = { on: {}, off: {} };
    for (const mode of ['on', 'off'] as const) {
      const model = stacks[mode];
      const env = mode === 'on' ? on : off;
      await copyModel(dir, model);
      const opsPort = await findFreePort();
      const predictor = startApp('predictor', { name: `predictor-${mode}`, env: { MODEL_NAME: model, MODELS_DIR: dir, NATS_URL: natsUrl, OPS_PORT: String(opsPort), HTTP_PORT: undefined, ...env } }, { output: false });
      started.push(predictor);
      await predictor.waitUntilReady(opsReadiness(opsPort), { timeoutMs: 60_000 });
      const port = await findFreePort();
      const gateway = startApp('gateway', { name: `gateway-${mode}`, env: { PORT: String(port), HOST: '127.0.0.1', NATS_URL: natsUrl, DISCOVERY_INTERVAL_MS: '500', CACHE_MODELS: undefined, ...env } }, { output: false });
      started.push(gateway);
      gateways[mode] = `http://127.0.0.1:${port}`;
      await gateway.waitUntilReady({ kind: 'http', urls: [`${gateways[mode]}/v2/models/${model}/ready`] }, { timeoutMs: 60_000 });
      pids[mode] = { gateway: gateway.pid, predictor: predictor.pid };
    }
    // The NATS server both stacks share: with the log on it also stores every record (JetStream,
    // file storage), CPU taken from the same cores. Reported per request, not in the goal's sum.
    const natsServer = pidsNamed('nats-server', new URL(natsUrl).port)[0] ?? pidsNamed('nats-server')[0];
    for (const mode of ['on', 'off'] as const) pids[mode]['nats-server'] = natsServer;
    // BENCH_MONITOR=on: the log's consumer on the same cores, storing what the "on" stack
    // publishes (its CPU per request is reported; a deployment runs it elsewhere).
    if (colocatedMonitor) {
      const monitorOps = await findFreePort();
      const monitor = startApp('monitor', { name: 'monitor', env: { NATS_URL: natsUrl, OPS_PORT: String(monitorOps), LOG_DATA_DIR: join(dir, 'log'), LOG_DATABASE_URL: undefined } }, { output: false });
      started.push(monitor);
      await monitor.waitUntilReady(opsReadiness(monitorOps), { timeoutMs: 60_000 });
      pids.on['monitor'] = monitor.pid;
    }

    for (let round = 1; round <= rounds; round++) {
      for (const concurrency of concurrencies) {
        // Alternate which goes first, so neither always runs on a warmer machine.
        const order = round % 2 === 1 ? (['on', 'off'] as const) : (['off', 'on'] as const);
        for (const mode of order) {
          process.stdout.write(`round ${round}: tracing + prediction log ${mode} at concurrency ${concurrency} for ${durationMs} ms… `);
          const { result, cpuMs } = await measureCpu(pids[mode], () =>
            runLoad({ url: `${gateways[mode]}/v2/models/${stacks[mode]}/infer`, body, concurrency, durationMs, warmupMs }),
          );
          // CPU µs each serving process spent per answered request: the cost on the path itself,
          // which machine noise (2 shared cores) moves far less than throughput.
          const cpuPerRequestUs = Object.fromEntries(Object.entries(cpuMs).map(([name, ms]) => [name, Math.round((ms * 1000) / Math.max(1, result.requests))]));
          console.log(`${result.requestsPerSecond} req/s, p50 ${result.latencyMs.p50} ms, ${result.non2xx + result.errors} failed; CPU µs/request ${JSON.stringify(cpuPerRequestUs)}`);
          (byMode[mode][concurrency] ??= []).push(result);
          (cpuByMode[mode][concurrency] ??= []).push((cpuPerRequestUs['gateway'] ?? 0) + (cpuPerRequestUs['predictor'] ?? 0));
          (natsByMode[mode][concurrency] ??= []).push(cpuPerRequestUs['nats-server'] ?? 0);
          rows.push({ pattern: `sync, observability ${mode} (round ${round})`, model: SOURCE, concurrency, result, cpuPerRequestUs });
        }
      }
    }
  } finally {
    await Promise.all(started.map((service) => service.stop({ timeoutMs: 10_000 })));
    await purgeLog(natsUrl, stacks.on);
    sink.close();
    await infra.stop();
    await rm(dir, { recursive: true, force: true });
  }

  console.log();
  printTable(rows);
  const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? 0;
  const summary = concurrencies.map((concurrency) => {
    const onRps = median((byMode.on[concurrency] ?? []).map((r) => r.requestsPerSecond));
    const offRps = median((byMode.off[concurrency] ?? []).map((r) => r.requestsPerSecond));
    const onP50 = median((byMode.on[concurrency] ?? []).map((r) => r.latencyMs.p50));
    const offP50 = median((byMode.off[concurrency] ?? []).map((r) => r.latencyMs.p50));
    const onCpu = median(cpuByMode.on[concurrency] ?? []);
    const offCpu = median(cpuByMode.off[concurrency] ?? []);
    return {
      concurrency,
      onRps,
      offRps,
      overheadPercent: Number(((1 - onRps / offRps) * 100).toFixed(1)),
      p50DeltaMs: Number((onP50 - offP50).toFixed(3)),
      cpuUsPerRequest: { on: onCpu, off: offCpu, overheadPercent: Number(((onCpu / offCpu - 1) * 100).toFixed(1)) },
      natsUsPerRequest: { on: median(natsByMode.on[concurrency] ?? []), off: median(natsByMode.off[concurrency] ?? []) },
    };
  });
  console.log('\nTracing + prediction log on vs off (medians of the rounds): goal ≤ 10 % throughput at concurrency 64');
  for (const row of summary) {
    console.log(`  concurrency ${row.concurrency}: on ${row.onRps} req/s, off ${row.offRps} req/s → ${row.overheadPercent} % less; p50 +${row.p50DeltaMs} ms`);
    console.log(`    gateway + predictor CPU per request: on ${row.cpuUsPerRequest.on} µs, off ${row.cpuUsPerRequest.off} µs → +${row.cpuUsPerRequest.overheadPercent} %`);
    console.log(`    nats-server CPU per request: on ${row.natsUsPerRequest.on} µs, off ${row.natsUsPerRequest.off} µs (the log's JetStream writes; shared with anything else on that server)`);
  }
  console.log(`  (the OTLP sink took ${sink.spans()} export batches)`);
  const settings = { on: process.env['BENCH_ON'] ?? 'tracing,log', monitor: colocatedMonitor, sampler: process.env['OTEL_TRACES_SAMPLER'] || 'default: parentbased, 1 % of roots (DEFAULT_SAMPLE_RATIO, libs/telemetry)', samplerArg: process.env['OTEL_TRACES_SAMPLER_ARG'] };
  const path = await writeResults(join(repoRoot(), 'bench', 'results'), 'observability-overhead', { durationMs, warmupMs, rounds, settings, rows, summary });
  console.log(`\nwrote ${path}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
