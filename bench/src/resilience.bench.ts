import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { ensureInfra, ensureModels, findFreePort, modelsDir, opsReadiness, repoRoot, startApp, startTopology, type ServiceProcess } from '@msp/topology';
import { runLoad, type LoadResult } from './load.js';
import { printTable, writeResults, type BenchRow } from './report.js';

/**
 * `node bench/dist/resilience.bench.js`: the prediction-cache and circuit-break patterns.
 * - cache hit vs miss at the gateway (`all` caches iris-trees): the same row again and again
 *   (hits) vs a new row every request (misses: lookup + prediction + store), next to iris-mlp
 *   uncached (the raw synchronous path, the reference);
 * - a burst of 5× the clients on mnist-cnn through a gateway that sheds (MODEL_MAX_IN_FLIGHT=4,
 *   MODEL_MAX_QUEUED=4) and one that does not (256/256): goodput, admitted p99, rejection time;
 * - SIGKILL of one of two replicas (copies of iris-mlp) under 8 clients: errors and p99.
 * Env: BENCH_DURATION_MS (default 5000).
 */
const durationMs = Number(process.env['BENCH_DURATION_MS'] ?? 5000);
const warmupMs = Math.min(1000, durationMs / 5);

const irisRow = (x: number): string => JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [x, 3.5, 1.4, 0.2] }] });
const pixels = new Array<number>(784).fill(0);
for (let r = 4; r < 24; r += 1) pixels[r * 28 + 13] = pixels[r * 28 + 14] = 1;
const digit = JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 28, 28], data: pixels }] });

async function modelCopy(root: string, source: string, name: string): Promise<void> {
  await cp(join(modelsDir(), source), join(root, name), { recursive: true });
  const path = join(root, name, 'manifest.json');
  const manifest = JSON.parse(await readFile(path, 'utf8')) as Record<string, unknown>;
  await writeFile(path, JSON.stringify({ ...manifest, name }));
}

async function startPredictor(root: string, name: string, natsUrl: string): Promise<ServiceProcess> {
  const ops = await findFreePort();
  const service = startApp('predictor', { name, env: { MODEL_NAME: name, MODELS_DIR: root, NATS_URL: natsUrl, OPS_PORT: String(ops), HTTP_PORT: undefined } }, { output: false });
  await service.waitUntilReady(opsReadiness(ops), { timeoutMs: 60_000 });
  return service;
}

async function startGateway(env: Record<string, string>, models: string[], natsUrl: string): Promise<{ url: string; service: ServiceProcess }> {
  const port = await findFreePort();
  const url = `http://127.0.0.1:${port}`;
  const service = startApp('gateway', { name: 'bench-gateway', env: { PORT: String(port), HOST: '127.0.0.1', NATS_URL: natsUrl, DISCOVERY_INTERVAL_MS: '300', ...env } }, { output: false });
  await service.waitUntilReady({ kind: 'http', urls: [`${url}/v2/health/ready`, ...models.map((m) => `${url}/v2/models/${m}/ready`)] }, { timeoutMs: 60_000 });
  return { url, service };
}

async function main(): Promise<void> {
  const modelsExit = await ensureModels();
  if (modelsExit !== 0) throw new Error(`training the missing models failed (exit ${modelsExit})`);
  const natsUrl = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
  const infra = await ensureInfra({ natsUrl });
  const topology = await startTopology('all', { ports: { gateway: 0, webSingle: 0 }, natsUrl, output: false });
  const gateway = topology.urls.gateway ?? '';
  const extra: ServiceProcess[] = [];
  const root = await mkdtemp(join(os.tmpdir(), 'msp-bench-'));
  const rows: BenchRow[] = [];
  const notes: Record<string, unknown> = {};
  const run = async (pattern: string, model: string, concurrency: number, options: { url?: string; body?: string; nextBody?: () => string; successOnly?: boolean } = {}): Promise<LoadResult> => {
    process.stdout.write(`${pattern} (${model}) at concurrency ${concurrency}… `);
    const result = await runLoad({
      url: `${options.url ?? gateway}/v2/models/${model}/infer`,
      body: options.body ?? irisRow(5.1),
      ...(options.nextBody ? { nextBody: options.nextBody } : {}),
      successOnly: options.successOnly ?? false,
      headers: { 'x-timeout-ms': '3000' },
      concurrency,
      durationMs,
      warmupMs,
    });
    console.log(`${result.requestsPerSecond} req/s, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, non-2xx ${result.non2xx}`);
    rows.push({ pattern, model, concurrency, result });
    return result;
  };
  try {
    console.log(`load average before measuring: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    // Prediction cache: hits, misses (a new row each time), and the uncached reference.
    let n = 0;
    for (const concurrency of [1, 16]) {
      await run('prediction-cache hit', 'iris-trees', concurrency);
      await run('prediction-cache miss', 'iris-trees', concurrency, { nextBody: () => irisRow(4 + (n++ % 1_000_000) / 1_000_000) });
      await run('synchronous (uncached)', 'iris-mlp', concurrency);
    }

    // Burst: 5× the clients that saturate mnist-cnn, with and without shedding.
    const shedding = await startGateway({ MODEL_MAX_IN_FLIGHT: '4', MODEL_MAX_QUEUED: '4' }, ['mnist-cnn'], natsUrl);
    extra.push(shedding.service);
    await run('burst baseline (16 clients)', 'mnist-cnn', 16, { body: digit, successOnly: true });
    await run('burst 5× default bounds (gateway 256+256, predictor 64)', 'mnist-cnn', 80, { body: digit, successOnly: true });
    const shed = await run('burst 5× shedding at 4+4', 'mnist-cnn', 80, { url: shedding.url, body: digit, successOnly: true });
    notes['shedRejectedMs'] = shed.rejectedMs;

    // Failover: two replicas of a copy of iris-mlp, one SIGKILLed 1.5 s into the run.
    await modelCopy(root, 'iris-mlp', 'bench-failover');
    const replicas = await Promise.all([startPredictor(root, 'bench-failover', natsUrl), startPredictor(root, 'bench-failover', natsUrl)]);
    extra.push(...replicas);
    const deadline = Date.now() + 30_000;
    while ((await fetch(`${gateway}/v2/models/bench-failover/ready`).then((r) => r.status).catch(() => 0)) !== 200) {
      if (Date.now() > deadline) throw new Error('the gateway never discovered bench-failover');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const kill = setTimeout(() => replicas[0]?.kill('SIGKILL'), warmupMs + 1_500);
    await run('replica SIGKILL under load', 'bench-failover', 8);
    clearTimeout(kill);
  } finally {
    await Promise.all(extra.map((service) => service.stop({ timeoutMs: 5_000 })));
    await topology.stop();
    await infra.stop();
    await rm(root, { recursive: true, force: true });
  }
  console.log();
  printTable(rows);
  const path = await writeResults(join(repoRoot(), 'bench', 'results'), 'resilience', { durationMs, warmupMs, loadAverage: os.loadavg(), notes, rows });
  console.log(`\nshed answers took p50 ${JSON.stringify(notes['shedRejectedMs'])} ms\nresults: ${path}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
