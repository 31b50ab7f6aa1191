import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { connect } from '@nats-io/transport-node';
import { ModelManifestSchema } from '@msp/contracts';
import { ModelRegistry } from '@msp/registry';
import { ensureInfra, ensureModels, findFreePort, modelsDir, opsReadiness, repoRoot, startApp, type ServiceProcess } from '@msp/topology';
import { runLoad } from './load.js';
import { printTable, writeResults, type BenchRow } from './report.js';

/**
 * `node bench/dist/release.bench.js`: training-to-serving's zero-downtime swap. One model-load
 * predictor (MODEL_SOURCE=registry) serving a copy of iris-mlp behind its own gateway, under 8
 * closed-loop clients: steady state, then the same load while a new version is promoted every
 * SWAP_EVERY_MS (each swap: fetch + digest check + session + warm-up + re-registering the
 * micro service + the gateway's discovery). The reference is the steady-state row next to it.
 * Env: BENCH_DURATION_MS (default 5000).
 */
const durationMs = Number(process.env['BENCH_DURATION_MS'] ?? 5000);
const warmupMs = Math.min(1000, durationMs / 5);
const SWAP_EVERY_MS = 1000;
const CLIENTS = 8;
const model = `bench-release-${process.pid}`;
const row = JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }] });

async function main(): Promise<void> {
  const modelsExit = await ensureModels({ models: ['iris-mlp'] });
  if (modelsExit !== 0) throw new Error(`training the missing models failed (exit ${modelsExit})`);
  const natsUrl = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
  const infra = await ensureInfra({ natsUrl, ...(process.env['REDIS_URL'] ? { redisUrl: process.env['REDIS_URL'] } : {}) });
  const nc = await connect({ servers: natsUrl, name: 'release-bench' });
  const registry = await ModelRegistry.open(nc);
  const source = join(modelsDir(), 'iris-mlp');
  const manifest = { ...ModelManifestSchema.parse(JSON.parse(await readFile(join(source, 'manifest.json'), 'utf8'))), name: model };
  const onnx = await readFile(join(source, 'model.onnx'));
  const register = async (): Promise<string> =>
    (await registry.register({ manifest, onnx, status: 'candidate', metrics: manifest.metrics, params: manifest.training, owner: 'bench' })).version;
  await registry.promote(model, await register());

  const services: ServiceProcess[] = [];
  const rows: BenchRow[] = [];
  let swaps = 0;
  try {
    const ops = await findFreePort();
    const predictor = startApp('predictor', { name: model, env: { MODEL_NAME: model, MODEL_SOURCE: 'registry', NATS_URL: natsUrl, OPS_PORT: String(ops), HTTP_PORT: undefined } }, { output: false });
    services.push(predictor);
    await predictor.waitUntilReady(opsReadiness(ops), { timeoutMs: 60_000 });
    const port = await findFreePort();
    const url = `http://127.0.0.1:${port}`;
    const gateway = startApp('gateway', { name: 'bench-gateway', env: { PORT: String(port), HOST: '127.0.0.1', NATS_URL: natsUrl, DISCOVERY_INTERVAL_MS: '300' } }, { output: false });
    services.push(gateway);
    await gateway.waitUntilReady({ kind: 'http', urls: [`${url}/v2/health/ready`, `${url}/v2/models/${model}/ready`] }, { timeoutMs: 60_000 });

    const run = async (pattern: string): Promise<void> => {
      process.stdout.write(`${pattern}… `);
      const result = await runLoad({ url: `${url}/v2/models/${model}/infer`, body: row, headers: { 'x-timeout-ms': '3000' }, concurrency: CLIENTS, durationMs, warmupMs });
      console.log(`${result.requestsPerSecond} req/s, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, failed ${result.errors + result.non2xx}`);
      rows.push({ pattern, model: 'iris-mlp (model-load)', concurrency: CLIENTS, result });
    };
    console.log(`load average before measuring: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    await run('steady state');
    // Versions registered beforehand, so the timer only promotes (what `pnpm train` does last).
    const pending = await Promise.all(Array.from({ length: Math.ceil((durationMs + warmupMs) / SWAP_EVERY_MS) + 1 }, () => register()));
    pending.sort((a, b) => Number(a) - Number(b));
    const timer = setInterval(() => {
      const next = pending.shift();
      if (next) void registry.promote(model, next).then(() => (swaps += 1));
    }, SWAP_EVERY_MS);
    await run(`swap every ${SWAP_EVERY_MS} ms`);
    clearInterval(timer);
  } finally {
    await Promise.all(services.map((service) => service.stop({ timeoutMs: 5_000 })));
    await nc.drain();
    await infra.stop();
  }
  console.log();
  printTable(rows);
  const path = await writeResults(join(repoRoot(), 'bench', 'results'), 'release', { durationMs, warmupMs, swapEveryMs: SWAP_EVERY_MS, swaps, loadAverage: os.loadavg(), rows });
  console.log(`\n${swaps} swaps during the second run\nresults: ${path}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
