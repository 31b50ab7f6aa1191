import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ensureInfra, ensureModels, isTopologyName, repoRoot, startTopology, TOPOLOGY_NAMES, type InfraHandle, type RunningTopology } from '@msp/topology';
import { runOpenLoop } from './load.js';
import { printTable, writeResults } from './report.js';

/**
 * `pnpm loadtest --pattern <p> --rate <r/s> --duration <s> [--url <base>] [--model <m>] [--path <p>]`:
 * open-loop Poisson arrivals (independent users: a slow server does not slow them down) against
 * a running deployment (`--url`) or, without one, the pattern's topology started here on free
 * ports. Prints throughput (goodput), latency percentiles (from each request's scheduled
 * arrival) and failures by status, and writes JSON to bench/results/loadtest-<pattern>-*.json.
 */
const USAGE = `usage: pnpm loadtest --pattern <name> --rate <requests/s> --duration <seconds> [--url <base url>] [--model <model>] [--path <request path>] [--warmup <seconds>]
  patterns: ${TOPOLOGY_NAMES.join(', ')} (or any name with --url)`;

/** What each pattern is asked by default: the request path (relative to the base URL) and body. */
const IRIS = JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [6.2, 2.9, 4.3, 1.3] }] });
const DEFAULT_TARGET: Readonly<Record<string, { model: string; path?: (model: string) => string; body?: string }>> = {
  asynchronous: { model: 'iris-mlp', path: (model) => `/v1/async/models/${model}/infer` },
  'online-ab': { model: 'iris-ab' },
  promotion: { model: 'iris' },
  'prep-pred': { model: 'mnist-mlp', body: JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 28, 28], data: new Array<number>(784).fill(0) }] }) },
};

function fail(message: string): never {
  console.error(`${message}\n${USAGE}`);
  process.exit(2);
}

function positive(value: string | undefined, what: string): number {
  const n = Number(value);
  if (!(value !== undefined && Number.isFinite(n) && n > 0)) fail(`--${what} must be a positive number, got '${value ?? ''}'`);
  return n;
}

async function main(): Promise<void> {
  let parsed;
  try {
    parsed = parseArgs({
      options: {
        pattern: { type: 'string' },
        rate: { type: 'string' },
        duration: { type: 'string' },
        url: { type: 'string' },
        model: { type: 'string' },
        path: { type: 'string' },
        warmup: { type: 'string', default: '1' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    fail(error instanceof Error ? error.message : String(error));
  }
  if (parsed.help) {
    console.log(USAGE);
    return;
  }
  const pattern = parsed.pattern ?? fail('--pattern is required');
  if (!parsed.url && !isTopologyName(pattern)) fail(`unknown pattern '${pattern}' (without --url it is started here)`);
  const rate = positive(parsed.rate, 'rate');
  const durationMs = positive(parsed.duration, 'duration') * 1000;
  const warmupMs = Number(parsed.warmup) * 1000;
  const target = DEFAULT_TARGET[pattern] ?? { model: 'iris-mlp' };
  const model = parsed.model ?? target.model;
  const path = parsed.path ?? target.path?.(model) ?? `/v2/models/${model}/infer`;

  let infra: InfraHandle | undefined;
  let topology: RunningTopology | undefined;
  let base = parsed.url?.replace(/\/$/, '');
  try {
    if (!base) {
      if ((await ensureModels()) !== 0) throw new Error('training the missing models failed');
      const natsUrl = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
      infra = await ensureInfra({ natsUrl });
      if (!isTopologyName(pattern)) throw new Error(`unknown pattern ${pattern}`);
      console.log(`starting the ${pattern} topology…`);
      topology = await startTopology(pattern, { ports: { gateway: 0, webSingle: 0 }, natsUrl, output: false });
      base = topology.baseUrl;
    }
    console.log(`${pattern}: POST ${base}${path}, Poisson arrivals at ${rate}/s for ${durationMs / 1000} s (after ${warmupMs / 1000} s warm-up); load average ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    const result = await runOpenLoop({ url: `${base}${path}`, body: target.body ?? IRIS, ratePerSecond: rate, durationMs, warmupMs, arrivals: 'poisson', headers: { 'x-timeout-ms': '10000' } });
    console.log();
    printTable([{ pattern: `${pattern} (open loop, Poisson ${rate}/s)`, model, concurrency: 0, result }]);
    console.log(`statuses: ${JSON.stringify(result.statuses)}; refused (429/503) p50 ${result.rejectedMs.p50} ms, p99 ${result.rejectedMs.p99} ms`);
    const file = await writeResults(join(repoRoot(), 'bench', 'results'), `loadtest-${pattern}`, {
      pattern,
      url: base,
      path,
      model,
      arrivals: 'poisson',
      ratePerSecond: rate,
      durationMs,
      warmupMs,
      startedHere: topology !== undefined,
      loadAverage: os.loadavg(),
      result,
    });
    console.log(`results: ${file}`);
    // Failures other than refusals (timeouts, 5xx, no answer) make the run fail, for CI.
    if (result.errors > 0) process.exitCode = 1;
  } finally {
    await topology?.stop();
    await infra?.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
