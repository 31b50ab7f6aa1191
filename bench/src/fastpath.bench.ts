import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ensureInfra,
  ensureModels,
  findFreePort,
  modelsDir,
  repoRoot,
  startService,
  startTopology,
  type RunningTopology,
  type ServiceProcess,
} from '@msp/topology';
import { measureCpu, pidsNamed, processRssMb } from './cpu.js';
import { runLoad, runOpenLoop, type LoadResult } from './load.js';
import { printColumns, writeResults } from './report.js';

/**
 * `pnpm bench` (fast path, issue 12): our web-single and synchronous paths against raw
 * references serving the same model files with the same OIP JSON bodies (bench/src/raw):
 * a bare node:http + onnxruntime server, and a bare node:http → NATS → onnxruntime pair.
 * Each (path, model, concurrency) pair is run ours-then-raw or raw-then-ours, alternating by
 * round, so machine drift hits both; the tables give ours / raw per round (min–max).
 *
 * The `open-loop` suite compares p99 under Poisson arrivals with p99 of a closed loop at the
 * same mean rate (synchronous iris-mlp; the closed loop's own rate at c=1 and c=4).
 *
 * The `fastapi` suite puts FastAPI + uvicorn + scikit-learn (bench/src/raw/fastapi_server.py: an
 * MLP trained on iris at start-up, pydantic-validated OIP body, one worker) in the "raw" column,
 * against our web-single and synchronous iris-mlp (rows `fastapi: web-single`, `fastapi:
 * synchronous`). It needs a python3 with fastapi, uvicorn and scikit-learn (Debian:
 * python3-fastapi python3-uvicorn python3-sklearn, and python3-httptools python3-uvloop as
 * `uvicorn[standard]` would bring); BENCH_PYTHON names the interpreter. Skipped without them.
 *
 * The `batching` suite is ours against ours: web-single mnist-cnn with adaptive dynamic
 * batching (DYNAMIC_BATCH_ROWS=32, "ours" in its rows) against without ("raw" in its rows).
 *
 * Env: BENCH_DURATION_MS (default 3000), BENCH_ROUNDS (3), BENCH_CONCURRENCY ("1,16,64"),
 * BENCH_MODELS ("iris-mlp,mnist-cnn"), BENCH_SUITES ("web-single,synchronous,batching,open-loop,fastapi"),
 * BENCH_PYTHON, NATS_URL.
 */
const durationMs = Number(process.env['BENCH_DURATION_MS'] ?? 3000);
const warmupMs = Math.min(1000, durationMs / 5);
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 3);
const concurrencies = (process.env['BENCH_CONCURRENCY'] ?? '1,16,64').split(',').map(Number);
const models = (process.env['BENCH_MODELS'] ?? 'iris-mlp,mnist-cnn').split(',');
const suites = (process.env['BENCH_SUITES'] ?? 'web-single,synchronous,batching,open-loop,fastapi').split(',');
const BATCH_MODEL = 'mnist-cnn';
const BATCH_ROWS = '32';
const RAW_SERVER = join(fileURLToPath(new URL('.', import.meta.url)), 'raw', 'raw-server.js');
const FASTAPI_SERVER = join(repoRoot(), 'bench', 'src', 'raw', 'fastapi_server.py');
const FASTAPI_MODEL = 'iris-mlp';
const FASTAPI_WEB_SINGLE = 'fastapi: web-single';
const FASTAPI_SYNCHRONOUS = 'fastapi: synchronous';
/** What the summary reports: the fastapi suite gives two rows of its own. */
const reported = suites.flatMap((suite) => (suite === 'fastapi' ? [FASTAPI_WEB_SINGLE, FASTAPI_SYNCHRONOUS] : [suite]));


const BODIES: Record<string, string> = {
  'iris-mlp': JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }] }),
  'mnist-cnn': JSON.stringify({
    inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 28, 28], data: Array.from({ length: 784 }, (_, i) => ((i * 37) % 256) / 255) }],
  }),
};

interface Target {
  url: string;
  /** The server-side processes whose CPU a request costs. */
  processes: Record<string, number | undefined>;
}

interface Run {
  suite: string;
  model: string;
  concurrency: number;
  round: number;
  side: 'ours' | 'raw';
  result: LoadResult;
  /** CPU µs per answered request, by process, and their sum (`total`, the load generator left out). */
  cpuPerRequestUs: Record<string, number>;
}

const runs: Run[] = [];
const openLoop: { model: string; concurrency: number; ratePerSecond: number; closedP99Ms: number; poissonP99Ms: number; poissonErrors: number }[] = [];

/** Closed loop at `concurrency`, then Poisson arrivals at the rate it reached: p99 of each. */
async function openVersusClosed(url: string, model: string): Promise<void> {
  const body = BODIES[model]!;
  for (const concurrency of [1, 4]) {
    const closed = await runLoad({ url, body, concurrency, durationMs, warmupMs });
    const poisson = await runOpenLoop({ url, body, ratePerSecond: closed.requestsPerSecond, durationMs, warmupMs, arrivals: 'poisson' });
    const row = {
      model,
      concurrency,
      ratePerSecond: closed.requestsPerSecond,
      closedP99Ms: closed.latencyMs.p99,
      poissonP99Ms: poisson.latencyMs.p99,
      poissonErrors: poisson.errors + poisson.non2xx,
    };
    openLoop.push(row);
    console.log(`  open loop ${model} at ${row.ratePerSecond}/s (closed c=${concurrency}): p99 closed ${row.closedP99Ms} ms, Poisson ${row.poissonP99Ms} ms`);
  }
}
const rss: Record<string, number | undefined> = {};

async function measure(suite: string, model: string, concurrency: number, round: number, side: 'ours' | 'raw', target: Target): Promise<void> {
  const body = BODIES[model];
  if (body === undefined) throw new Error(`no bench body for model ${model}`);
  // Warm-up outside the CPU window, so CPU per request counts only the measured requests.
  await runLoad({ url: target.url, body, concurrency, durationMs: warmupMs, warmupMs: 0 });
  const { result, cpuMs } = await measureCpu(target.processes, () => runLoad({ url: target.url, body, concurrency, durationMs, warmupMs: 0 }));
  const perRequest = (ms: number) => Math.round((ms * 1000) / Math.max(1, result.requests));
  const cpuPerRequestUs: Record<string, number> = {};
  let total = 0;
  for (const [name, ms] of Object.entries(cpuMs)) {
    cpuPerRequestUs[name] = perRequest(ms);
    if (name !== 'load generator') total += ms;
  }
  cpuPerRequestUs['total'] = perRequest(total);
  runs.push({ suite, model, concurrency, round, side, result, cpuPerRequestUs });
  const failed = result.errors + result.non2xx;
  console.log(
    `  ${suite} ${model} c=${concurrency} round ${round} ${side}: ${result.requestsPerSecond} req/s, p50 ${result.latencyMs.p50} ms, ` +
      `CPU ${cpuPerRequestUs['total']} µs/req${failed ? `, ${failed} FAILED` : ''}`,
  );
}

/** Every round runs both sides; even rounds ours first, odd rounds raw first. */
async function alternate(suite: string, model: string, ours: Target, raw: Target): Promise<void> {
  for (const concurrency of concurrencies) {
    for (let round = 0; round < rounds; round += 1) {
      const order: ['ours' | 'raw', Target][] = round % 2 === 0 ? [['ours', ours], ['raw', raw]] : [['raw', raw], ['ours', ours]];
      for (const [side, target] of order) await measure(suite, model, concurrency, round, side, target);
    }
  }
}

function startRaw(name: string, env: Record<string, string>): ServiceProcess {
  return startService({ name, command: process.execPath, args: [RAW_SERVER], env: { MODELS_DIR: modelsDir(), ...env } }, { output: false });
}

async function readyRaw(service: ServiceProcess): Promise<void> {
  await service.waitUntilReady({ kind: 'log', match: (line) => line.text.includes('raw ready'), description: 'raw ready' }, { timeoutMs: 30_000 });
}

async function webSingleSuite(natsUrl: string | undefined): Promise<void> {
  const rawPort = await findFreePort();
  const raw = startRaw('raw-single', { RAW_MODE: 'single', RAW_MODELS: models.join(','), RAW_PORT: String(rawPort) });
  try {
    await readyRaw(raw);
    for (const model of models) {
      // One web-single predictor at a time, serving the model under test.
      const topology = await startTopology('web-single', {
        ports: { webSingle: 0 },
        output: false,
        serviceEnv: { 'web-single': { MODEL_NAME: model } },
        ...(natsUrl ? { natsUrl } : {}),
      });
      try {
        const ours = topology.service('web-single').pid;
        await alternate(
          'web-single',
          model,
          { url: `${topology.urls.webSingle}/v2/models/${model}/infer`, processes: { 'web-single': ours } },
          { url: `http://127.0.0.1:${rawPort}/v2/models/${model}/infer`, processes: { 'raw-single': raw.pid } },
        );
        rss[`web-single (${model})`] = processRssMb(ours);
      } finally {
        await topology.stop();
      }
    }
    rss[`raw-single (${models.join(', ')})`] = processRssMb(raw.pid);
  } finally {
    await raw.stop();
  }
}

async function synchronousSuite(natsUrl: string | undefined): Promise<void> {
  const rawPort = await findFreePort();
  const rawEnv: Record<string, string> = natsUrl ? { NATS_URL: natsUrl } : {};
  const rawPredictor = startRaw('raw-predictor', { RAW_MODE: 'predictor', RAW_MODELS: models.join(','), ...rawEnv });
  const rawFront = startRaw('raw-front', { RAW_MODE: 'front', RAW_PORT: String(rawPort), ...rawEnv });
  let topology: RunningTopology | undefined;
  try {
    await Promise.all([readyRaw(rawPredictor), readyRaw(rawFront)]);
    topology = await startTopology('synchronous', { ports: { gateway: 0 }, output: false, ...(natsUrl ? { natsUrl } : {}) });
    const natsPort = natsUrl ? new URL(natsUrl).port : undefined;
    const natsServer = (natsPort ? pidsNamed('nats-server', natsPort) : [])[0] ?? pidsNamed('nats-server')[0];
    for (const model of suites.includes('synchronous') ? models : []) {
      await alternate(
        'synchronous',
        model,
        {
          url: `${topology.urls.gateway}/v2/models/${model}/infer`,
          processes: { gateway: topology.service('gateway').pid, 'nats-server': natsServer, predictor: topology.predictorOf(model).pid },
        },
        {
          url: `http://127.0.0.1:${rawPort}/v2/models/${model}/infer`,
          processes: { 'raw-front': rawFront.pid, 'nats-server': natsServer, 'raw-predictor': rawPredictor.pid },
        },
      );
    }
    if (suites.includes('open-loop')) await openVersusClosed(`${topology.urls.gateway}/v2/models/iris-mlp/infer`, 'iris-mlp');
    rss['gateway'] = processRssMb(topology.service('gateway').pid);
    // One process may serve several of the models (multi-model predictors): its RSS once, named by what it serves.
    const predictors = new Map(models.map((model) => [topology!.predictorOf(model), model]));
    for (const [predictor] of predictors) {
      const served = models.filter((model) => topology!.predictorOf(model) === predictor);
      rss[`predictor (${served.join(', ')})`] = processRssMb(predictor.pid);
    }
    rss['raw-front'] = processRssMb(rawFront.pid);
    rss[`raw-predictor (${models.join(', ')})`] = processRssMb(rawPredictor.pid);
  } finally {
    await topology?.stop();
    await Promise.all([rawFront.stop(), rawPredictor.stop()]);
  }
}

/** Two web-single mnist-cnn predictors side by side, with and without dynamic batching. */
async function batchingSuite(natsUrl: string | undefined): Promise<void> {
  const start = (rows: string) =>
    startTopology('web-single', {
      ports: { webSingle: 0 },
      output: false,
      serviceEnv: { 'web-single': { MODEL_NAME: BATCH_MODEL, DYNAMIC_BATCH_ROWS: rows } },
      ...(natsUrl ? { natsUrl } : {}),
    });
  const on = await start(BATCH_ROWS);
  try {
    const off = await start('1');
    try {
      const target = (topology: RunningTopology): Target => ({
        url: `${topology.urls.webSingle}/v2/models/${BATCH_MODEL}/infer`,
        processes: { 'web-single': topology.service('web-single').pid },
      });
      await alternate('batching', BATCH_MODEL, target(on), target(off));
    } finally {
      await off.stop();
    }
  } finally {
    await on.stop();
  }
}

/** The first interpreter that has FastAPI, uvicorn and scikit-learn (pyenv's python3 may shadow Debian's). */
function findPython(): string | undefined {
  const candidates = process.env['BENCH_PYTHON'] ? [process.env['BENCH_PYTHON']] : ['python3', '/usr/bin/python3'];
  return candidates.find((python) => spawnSync(python, ['-c', 'import fastapi, uvicorn, sklearn'], { stdio: 'ignore', timeout: 30_000 }).status === 0);
}

/** FastAPI + scikit-learn in the raw column, against our web-single and synchronous iris-mlp. */
async function fastapiSuite(natsUrl: string | undefined): Promise<void> {
  const python = findPython();
  if (!python) {
    console.log('  fastapi: skipped (no python3 with fastapi, uvicorn and scikit-learn; Debian: apt-get install python3-fastapi python3-uvicorn python3-sklearn python3-httptools python3-uvloop)');
    return;
  }
  const port = await findFreePort();
  const server = startService({ name: 'fastapi', command: python, args: [FASTAPI_SERVER], env: { RAW_PORT: String(port) } }, { output: false });
  const fastapi: Target = { url: `http://127.0.0.1:${port}/v2/models/${FASTAPI_MODEL}/infer`, processes: { fastapi: server.pid } };
  try {
    await readyRaw(server);
    const settings = { output: false as const, ...(natsUrl ? { natsUrl } : {}) };
    const single = await startTopology('web-single', { ...settings, ports: { webSingle: 0 }, serviceEnv: { 'web-single': { MODEL_NAME: FASTAPI_MODEL } } });
    try {
      await alternate(FASTAPI_WEB_SINGLE, FASTAPI_MODEL, { url: `${single.urls.webSingle}/v2/models/${FASTAPI_MODEL}/infer`, processes: { 'web-single': single.service('web-single').pid } }, fastapi);
    } finally {
      await single.stop();
    }
    const sync = await startTopology('synchronous', { ...settings, ports: { gateway: 0 } });
    try {
      const processes = { gateway: sync.service('gateway').pid, predictor: sync.predictorOf(FASTAPI_MODEL).pid };
      await alternate(FASTAPI_SYNCHRONOUS, FASTAPI_MODEL, { url: `${sync.urls.gateway}/v2/models/${FASTAPI_MODEL}/infer`, processes }, fastapi);
    } finally {
      await sync.stop();
    }
    rss['fastapi (iris MLP)'] = processRssMb(server.pid);
  } finally {
    await server.stop();
  }
}

function span(values: number[], digits = 2): string {
  if (values.length === 0) return '–';
  const min = Math.min(...values);
  const max = Math.max(...values);
  return min === max ? min.toFixed(digits) : `${min.toFixed(digits)}–${max.toFixed(digits)}`;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle]! : ((sorted[middle - 1] ?? 0) + (sorted[middle] ?? 0)) / 2;
}

/** Ours / raw of one figure, round by round (both sides of a round ran back to back). */
function ratios(suite: string, model: string, concurrency: number, figure: (run: Run) => number): number[] {
  const values: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    const pick = (side: 'ours' | 'raw') =>
      runs.find((run) => run.suite === suite && run.model === model && run.concurrency === concurrency && run.round === round && run.side === side);
    const ours = pick('ours');
    const raw = pick('raw');
    if (ours && raw && figure(raw) > 0) values.push(figure(ours) / figure(raw));
  }
  return values;
}

function summary(): Record<string, unknown>[] {
  const rows: Record<string, unknown>[] = [];
  for (const suite of reported) {
    for (const model of suite === 'batching' ? [BATCH_MODEL] : suite.startsWith('fastapi') ? [FASTAPI_MODEL] : models) {
      for (const concurrency of concurrencies) {
        const of = (side: 'ours' | 'raw') =>
          runs.filter((run) => run.suite === suite && run.model === model && run.concurrency === concurrency && run.side === side);
        if (of('ours').length === 0) continue;
        rows.push({
          suite,
          model,
          concurrency,
          oursRps: median(of('ours').map((run) => run.result.requestsPerSecond)),
          rawRps: median(of('raw').map((run) => run.result.requestsPerSecond)),
          throughputRatio: ratios(suite, model, concurrency, (run) => run.result.requestsPerSecond),
          oursP50Ms: median(of('ours').map((run) => run.result.latencyMs.p50)),
          rawP50Ms: median(of('raw').map((run) => run.result.latencyMs.p50)),
          oursCpuUs: median(of('ours').map((run) => run.cpuPerRequestUs['total'] ?? 0)),
          rawCpuUs: median(of('raw').map((run) => run.cpuPerRequestUs['total'] ?? 0)),
          cpuRatio: ratios(suite, model, concurrency, (run) => run.cpuPerRequestUs['total'] ?? 0),
          oursCpuByProcess: of('ours').at(-1)?.cpuPerRequestUs,
          rawCpuByProcess: of('raw').at(-1)?.cpuPerRequestUs,
        });
      }
    }
  }
  return rows;
}

function printSummary(rows: Record<string, unknown>[]): void {
  const header = ['path', 'model', 'c', 'ours req/s', 'raw req/s', 'ours/raw (rounds)', 'p50 ours', 'p50 raw', 'CPU µs ours', 'CPU µs raw', 'CPU ours/raw'];
  const lines = rows.map((row) => [
    row['suite'] === 'batching' ? `batching on/off` : String(row['suite']),
    String(row['model']),
    String(row['concurrency']),
    String(row['oursRps']),
    String(row['rawRps']),
    span(row['throughputRatio'] as number[]),
    (row['oursP50Ms'] as number).toFixed(3),
    (row['rawP50Ms'] as number).toFixed(3),
    String(row['oursCpuUs']),
    String(row['rawCpuUs']),
    span(row['cpuRatio'] as number[]),
  ]);
  printColumns(header, lines);
}

/** What the NATS hop adds at c=1 (synchronous p50 − web-single p50), ours and raw, by model. */
function hops(rows: Record<string, unknown>[]): Record<string, { ours: number; raw: number }> {
  const hop: Record<string, { ours: number; raw: number }> = {};
  for (const model of models) {
    const at = (suite: string) => rows.find((row) => row['suite'] === suite && row['model'] === model && row['concurrency'] === 1);
    const sync = at('synchronous');
    const single = at('web-single');
    if (!sync || !single) continue;
    const round = (ms: number) => Number(ms.toFixed(3));
    hop[model] = {
      ours: round((sync['oursP50Ms'] as number) - (single['oursP50Ms'] as number)),
      raw: round((sync['rawP50Ms'] as number) - (single['rawP50Ms'] as number)),
    };
  }
  return hop;
}

async function main(): Promise<void> {
  const modelsExit = await ensureModels();
  if (modelsExit !== 0) throw new Error(`training the missing models failed (exit ${modelsExit})`);
  // NATS_URL points the run at a NATS of its own: a shared one makes every hop slower (docs/performance.md).
  const natsUrl = process.env['NATS_URL'];
  const infra = await ensureInfra(natsUrl ? { natsUrl } : {});
  try {
    console.log(`fast path vs raw references: ${rounds} alternated rounds of ${durationMs} ms at c=${concurrencies.join('/')}`);
    if (suites.includes('web-single')) await webSingleSuite(natsUrl);
    if (suites.includes('synchronous') || suites.includes('open-loop')) await synchronousSuite(natsUrl);
    if (suites.includes('batching')) await batchingSuite(natsUrl);
    if (suites.includes('fastapi')) await fastapiSuite(natsUrl);
  } finally {
    await infra.stop();
  }
  const rows = summary();
  console.log();
  printSummary(rows);
  const hop = hops(rows);
  if (Object.keys(hop).length > 0) {
    console.log('\nNATS hop at c=1 (synchronous p50 − web-single p50), ours vs raw:');
    for (const [model, { ours, raw }] of Object.entries(hop)) console.log(`  ${model}: +${ours} ms ours, +${raw} ms raw`);
  }
  if (openLoop.length > 0) {
    console.log('\nPoisson arrivals vs closed loop at the same mean rate (synchronous):');
    for (const row of openLoop) {
      console.log(
        `  ${row.model} ${row.ratePerSecond}/s (c=${row.concurrency}): p99 ${row.poissonP99Ms} ms Poisson / ${row.closedP99Ms} ms closed = ${(row.poissonP99Ms / row.closedP99Ms).toFixed(2)}×`,
      );
    }
  }
  console.log('\nRSS after the runs (MB):');
  for (const [name, mb] of Object.entries(rss)) console.log(`  ${name.padEnd(40)} ${mb ?? '–'}`);
  const path = await writeResults(join(repoRoot(), 'bench', 'results'), 'fastpath', { durationMs, warmupMs, rounds, summary: rows, hop, openLoop, rss, runs });
  console.log(`\nresults: ${path}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
