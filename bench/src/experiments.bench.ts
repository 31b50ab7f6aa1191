import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { ensureInfra, ensureModels, repoRoot, type ServiceProcess } from '@msp/topology';
import { runOpenLoop, type LoadResult } from './load.js';
import { printTable, writeResults, type BenchRow } from './report.js';
import { modelCopy, startGateway, startPredictor } from './services.js';

/**
 * `node bench/dist/experiments.bench.js`: shadow AB's cost to the primary. One gateway, four
 * copies of iris-mlp as primaries: without a shadow (the reference), mirrored to a healthy
 * shadow (a copy of iris-softmax), to a slow one (answers after 2 s; its deadline is 1 s) and to
 * a dead one (no predictor). Open-loop arrivals at a rate the machine serves (a closed loop at
 * saturation would measure capacity, and a healthy shadow halves it on the same two cores: it
 * doubles the work). Rounds alternate between the four, each round in another order, so that the
 * shared machine's drift hits each alike; each variant's figure is the median of its rounds.
 * Env: BENCH_DURATION_MS (per round, default 4000), BENCH_ROUNDS (default 5), BENCH_RATE (req/s, default 150).
 */
const durationMs = Number(process.env['BENCH_DURATION_MS'] ?? 4000);
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 5);
const rate = Number(process.env['BENCH_RATE'] ?? 150);
const warmupMs = Math.min(1000, durationMs / 4);
const row = JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [6.2, 2.9, 4.3, 1.3] }] });

const VARIANTS = [
  { label: 'no shadow', model: 'bench-shadow-off' },
  { label: 'healthy shadow', model: 'bench-shadow-ok' },
  { label: 'slow shadow (2 s; deadline 1 s)', model: 'bench-shadow-slow' },
  { label: 'dead shadow (no predictor)', model: 'bench-shadow-dead' },
] as const;

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;

async function main(): Promise<void> {
  const modelsExit = await ensureModels();
  if (modelsExit !== 0) throw new Error(`training the missing models failed (exit ${modelsExit})`);
  const natsUrl = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
  const infra = await ensureInfra({ natsUrl });
  const root = await mkdtemp(join(os.tmpdir(), 'msp-bench-'));
  const started: ServiceProcess[] = [];
  const results = new Map<string, LoadResult[]>();
  try {
    for (const { model } of VARIANTS) await modelCopy(root, 'iris-mlp', model);
    await modelCopy(root, 'iris-softmax', 'bench-candidate');
    await modelCopy(root, 'iris-softmax', 'bench-candidate-slow');
    const file = join(root, 'experiments.yaml');
    await writeFile(
      file,
      [
        'experiments:',
        '  - { id: bench-ok, kind: shadow, model: bench-shadow-ok, shadow: { model: bench-candidate } }',
        '  - { id: bench-slow, kind: shadow, model: bench-shadow-slow, shadow: { model: bench-candidate-slow } }',
        '  - { id: bench-dead, kind: shadow, model: bench-shadow-dead, shadow: { model: bench-nobody } }',
        '',
      ].join('\n'),
    );
    started.push(
      ...(await Promise.all([
        ...VARIANTS.map(({ model }) => startPredictor(root, model, natsUrl)),
        startPredictor(root, 'bench-candidate', natsUrl),
        startPredictor(root, 'bench-candidate-slow', natsUrl, { FAULT_DELAY_MS: '2000' }),
      ])),
    );
    const gateway = await startGateway({ EXPERIMENTS_FILE: file }, VARIANTS.map(({ model }) => model), natsUrl);
    started.push(gateway.service);
    console.log(`load average before measuring: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    for (let round = 0; round < rounds; round++) {
      for (let i = 0; i < VARIANTS.length; i++) {
        const { label, model } = VARIANTS[(round + i) % VARIANTS.length]!;
        process.stdout.write(`round ${round + 1}, ${label} at ${rate} req/s… `);
        const result = await runOpenLoop({ url: `${gateway.url}/v2/models/${model}/infer`, body: row, headers: { 'x-timeout-ms': '3000' }, ratePerSecond: rate, durationMs, warmupMs });
        console.log(`${result.requestsPerSecond} req/s, p50 ${result.latencyMs.p50} ms, p99 ${result.latencyMs.p99} ms, failed ${result.errors + result.non2xx}`);
        results.set(model, [...(results.get(model) ?? []), result]);
      }
    }
  } finally {
    await Promise.all(started.map((service) => service.stop({ timeoutMs: 5_000 })));
    await infra.stop();
    await rm(root, { recursive: true, force: true });
  }
  const rows: BenchRow[] = [];
  const summary: Record<string, unknown> = {};
  const reference = median((results.get(VARIANTS[0].model) ?? []).map((result) => result.latencyMs.p99));
  for (const { label, model } of VARIANTS) {
    const runs = results.get(model) ?? [];
    const pick = (f: (result: LoadResult) => number) => median(runs.map(f));
    const result: LoadResult = {
      requests: runs.reduce((sum, run) => sum + run.requests, 0),
      errors: runs.reduce((sum, run) => sum + run.errors, 0),
      non2xx: runs.reduce((sum, run) => sum + run.non2xx, 0),
      requestsPerSecond: pick((run) => run.requestsPerSecond),
      latencyMs: { p50: pick((run) => run.latencyMs.p50), p90: pick((run) => run.latencyMs.p90), p99: pick((run) => run.latencyMs.p99), max: Math.max(...runs.map((run) => run.latencyMs.max)), mean: pick((run) => run.latencyMs.mean) },
    };
    rows.push({ pattern: `shadow-ab: ${label}, ${rate} req/s open loop`, model, concurrency: 0, result });
    summary[label] = { p99Ms: result.latencyMs.p99, p99VsNoShadow: Math.round((result.latencyMs.p99 / reference) * 1000) / 1000, failed: result.errors + result.non2xx };
  }
  console.log();
  printTable(rows);
  const path = await writeResults(join(repoRoot(), 'bench', 'results'), 'experiments', { durationMs, warmupMs, rounds, ratePerSecond: rate, loadAverage: os.loadavg(), summary, rows });
  console.log(`p99 against no shadow (median of ${rounds} rounds): ${JSON.stringify(summary)}\nresults: ${path}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
