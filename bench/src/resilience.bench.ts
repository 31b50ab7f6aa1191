import { mkdtemp, rm } from 'node:fs/promises';
import { execFile } from 'node:child_process';
import os from 'node:os';
import { promisify } from 'node:util';
import { join } from 'node:path';
import { ensureInfra, ensureModels, repoRoot, seedItems, startTopology, type ServiceProcess } from '@msp/topology';
import { runLoad, runOpenLoop, type LoadResult } from './load.js';
import { printTable, writeResults, type BenchRow } from './report.js';
import { modelCopy, startGateway, startPredictor } from './services.js';

/**
 * `node bench/dist/resilience.bench.js`: the prediction-cache and circuit-break patterns.
 * - cache hit vs miss at the gateway (`all` caches iris-trees): the same row again and again
 *   (hits, from the gateway's own tier, and from the cache service through a gateway without
 *   one) vs a new row every request (misses: lookup + prediction + store), next to iris-mlp
 *   uncached (the raw synchronous path, the reference);
 * - the data cache: mnist-cnn by item id, the digit fetched from KV (miss) or Redis (hit);
 * - a burst: open-loop arrivals at 5× a predictor's capacity (a copy of iris-mlp made heavier
 *   with FAULT_BUSY_MS) with no bounds, with the default bounds, and through a gateway that
 *   sheds (MODEL_MAX_IN_FLIGHT=4, MODEL_MAX_QUEUED=4): goodput, admitted p99, refusal time;
 * - SIGKILL of one of two replicas (copies of iris-mlp) under 8 clients: errors, and p99 in
 *   the second after the kill.
 * Env: BENCH_DURATION_MS (default 5000).
 */
const exec = promisify(execFile);
const durationMs = Number(process.env['BENCH_DURATION_MS'] ?? 5000);
const warmupMs = Math.min(1000, durationMs / 5);

const irisRow = (x: number): string => JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [x, 3.5, 1.4, 0.2] }] });
const pixels = new Array<number>(784).fill(0);
for (let r = 4; r < 24; r += 1) pixels[r * 28 + 13] = pixels[r * 28 + 14] = 1;
const digit = JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 28, 28], data: pixels }] });

/** Held-out digits that `pnpm items:seed` stores as mnist-0 … mnist-1999. */
const MNIST_ITEMS = 2000;

/** Forgets the digits the cache service keeps in Redis, so the next fetch of each is a miss. */
async function dropCachedItems(): Promise<void> {
  const redis = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
  await exec('sh', ['-c', `redis-cli -u "$1" --scan --pattern 'msp:dc:*' | xargs -r redis-cli -u "$1" del > /dev/null`, 'sh', redis]);
}

/** CPU per request of the burst's predictor: capacity about 1000 / BURST_BUSY_MS requests per second. */
const BURST_BUSY_MS = 4;

async function waitForModel(gateway: string, model: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  while ((await fetch(`${gateway}/v2/models/${model}/ready`).then((r) => r.status).catch(() => 0)) !== 200) {
    if (Date.now() > deadline) throw new Error(`the gateway never discovered ${model}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
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
  const run = async (
    pattern: string,
    model: string,
    concurrency: number,
    options: { url?: string; body?: string; nextBody?: () => string; successOnly?: boolean; window?: { fromMs: number; toMs: number } } = {},
  ): Promise<LoadResult> => {
    process.stdout.write(`${pattern} (${model}) at concurrency ${concurrency}… `);
    const result = await runLoad({
      url: `${options.url ?? gateway}/v2/models/${model}/infer`,
      body: options.body ?? irisRow(5.1),
      ...(options.nextBody ? { nextBody: options.nextBody } : {}),
      successOnly: options.successOnly ?? false,
      ...(options.window ? { window: options.window } : {}),
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
    // A second gateway without its in-process tier: every hit is a lookup at the cache service.
    const sharedOnly = await startGateway({ CACHE_MODELS: 'iris-trees', CACHE_LOCAL_ENTRIES: '0' }, ['iris-trees'], natsUrl);
    extra.push(sharedOnly.service);
    for (const concurrency of [1, 16]) {
      await run('prediction-cache hit (gateway tier)', 'iris-trees', concurrency);
      await run('prediction-cache hit (shared tier: cache service)', 'iris-trees', concurrency, { url: sharedOnly.url });
      await run('prediction-cache miss', 'iris-trees', concurrency, { nextBody: () => irisRow(4 + (n++ % 1_000_000) / 1_000_000) });
      await run('synchronous (uncached)', 'iris-mlp', concurrency);
    }

    // Data cache: mnist-cnn with its input named by id. A hit finds the digit in Redis; a miss
    // (a digit not fetched yet: the Redis entries are dropped first, then each id once, in turn)
    // reads it from JetStream KV. Next to it, the same digit sent inline.
    const seeded = await seedItems({ natsUrl, output: false });
    if (seeded !== 0) throw new Error(`items:seed exited with code ${seeded}`);
    await dropCachedItems();
    let item = 0;
    const byId = (id: string): string => JSON.stringify({ parameters: { item_id: id } });
    const itemMiss = await run('data-cache by id, miss (KV)', 'mnist-cnn', 1, { nextBody: () => byId(`mnist-${item++ % MNIST_ITEMS}`) });
    notes['dataCacheMissRequests'] = { requests: itemMiss.requests, distinctIds: MNIST_ITEMS, note: 'requests beyond the distinct ids are hits' };
    await run('data-cache by id, hit (Redis)', 'mnist-cnn', 1, { body: byId('mnist-7') });
    await run('the same digit inline', 'mnist-cnn', 1, { body: digit });

    // Burst: open-loop arrivals at 5× what one predictor can do. The predictor is a copy of
    // iris-mlp that spends FAULT_BUSY_MS of CPU per request (a heavier model), so it is the
    // bottleneck, not the gateway or the generator sharing the two cores. Three set-ups: no
    // bounds anywhere (every request queues), the defaults (the predictor refuses beyond
    // MAX_IN_FLIGHT=64), and a gateway that sheds at MODEL_MAX_IN_FLIGHT=4 + MODEL_MAX_QUEUED=4.
    const busy = { FAULT_BUSY_MS: String(BURST_BUSY_MS) };
    await modelCopy(root, 'iris-mlp', 'bench-burst');
    await modelCopy(root, 'iris-mlp', 'bench-burst-bounded');
    extra.push(await startPredictor(root, 'bench-burst', natsUrl, { ...busy, MAX_IN_FLIGHT: '1000000' }));
    extra.push(await startPredictor(root, 'bench-burst-bounded', natsUrl, busy));
    const unbounded = await startGateway({ MODEL_MAX_IN_FLIGHT: '1000000', MODEL_MAX_QUEUED: '1000000' }, ['bench-burst'], natsUrl);
    const shedding = await startGateway({ MODEL_MAX_IN_FLIGHT: '4', MODEL_MAX_QUEUED: '4' }, ['bench-burst-bounded'], natsUrl);
    extra.push(unbounded.service, shedding.service);
    await waitForModel(gateway, 'bench-burst-bounded');
    const capacity = await run('burst: capacity (closed loop)', 'bench-burst', 4, { url: unbounded.url });
    const offered = Math.max(50, Math.round(capacity.requestsPerSecond * 5));
    for (const [label, url, model] of [
      ['no bounds', unbounded.url, 'bench-burst'],
      ['default bounds', gateway, 'bench-burst-bounded'],
      ['gateway sheds at 4+4', shedding.url, 'bench-burst-bounded'],
    ] as const) {
      process.stdout.write(`burst 5× (${offered} req/s offered), ${label}… `);
      const result = await runOpenLoop({ url: `${url}/v2/models/${model}/infer`, body: irisRow(5.1), ratePerSecond: offered, durationMs, warmupMs, headers: { 'x-timeout-ms': '3000' } });
      console.log(`goodput ${result.requestsPerSecond}/s, admitted p50 ${result.latencyMs.p50} p99 ${result.latencyMs.p99} ms, refused p50 ${result.rejectedMs.p50} p99 ${result.rejectedMs.p99} ms, statuses ${JSON.stringify(result.statuses)}`);
      rows.push({ pattern: `burst 5× open loop, ${label}`, model, concurrency: 0, result });
      notes[`burst ${label}`] = { offeredPerSecond: offered, statuses: result.statuses, admittedP99Ms: result.latencyMs.p99, refusedMs: result.rejectedMs };
    }

    // Failover: two replicas of a copy of iris-mlp, one SIGKILLed 1.5 s into the measured run;
    // the window is the second after the kill.
    await modelCopy(root, 'iris-mlp', 'bench-failover');
    const replicas = await Promise.all([startPredictor(root, 'bench-failover', natsUrl), startPredictor(root, 'bench-failover', natsUrl)]);
    extra.push(...replicas);
    await waitForModel(gateway, 'bench-failover');
    const killAtMs = 1_500;
    const kill = setTimeout(() => replicas[0]?.kill('SIGKILL'), warmupMs + killAtMs);
    const failover = await run('replica SIGKILL under load', 'bench-failover', 8, { window: { fromMs: killAtMs - 100, toMs: killAtMs + 1_000 } });
    clearTimeout(kill);
    notes['killWindowMs'] = failover.windowMs;
  } finally {
    await Promise.all(extra.map((service) => service.stop({ timeoutMs: 5_000 })));
    await topology.stop();
    await infra.stop();
    await rm(root, { recursive: true, force: true });
  }
  console.log();
  printTable(rows);
  const path = await writeResults(join(repoRoot(), 'bench', 'results'), 'resilience', { durationMs, warmupMs, loadAverage: os.loadavg(), notes, rows });
  for (const label of ['no bounds', 'default bounds', 'gateway sheds at 4+4']) console.log(`burst, ${label}: ${JSON.stringify(notes[`burst ${label}`])}`);
  console.log(`the second after the replica kill: ${JSON.stringify(notes['killWindowMs'])} ms\nresults: ${path}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
