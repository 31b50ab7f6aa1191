import { readFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import {
  ensureInfra,
  ensureModels,
  findFreePort,
  planTopology,
  repoRoot,
  seedItems,
  startTopology,
  type RunningTopology,
} from '@msp/topology';
import { writeResults } from './report.js';

/**
 * `pnpm soak [--minutes N]` (default 30): the `all` topology under a moderate mixed load —
 * synchronous iris-mlp, a cached model, a graph, an image through preprocess, a data-cache
 * item, asynchronous jobs — while every service's RSS (from /proc) and event-loop delay (its
 * /metrics) are sampled. It fails (exit 1) on any error answer or when a service's memory
 * keeps growing after warm-up (beyond noise: +20 % and +30 MB between the first and the
 * last fifth of the run). A command, not a test: run it by hand (docs/reliability.md).
 */
const { values } = parseArgs({ options: { minutes: { type: 'string', default: '30' } } });
const minutes = Number(values.minutes);
if (!(minutes > 0)) {
  console.error('usage: pnpm soak [--minutes N]  (N > 0, default 30)');
  process.exit(2);
}
const durationMs = minutes * 60_000;
const SAMPLE_MS = Math.min(10_000, durationMs / 12);
/** Each client's pause between requests: a steady, moderate load, not a stress test. */
const THINK_MS = 20;

const iris = (x: number) => ({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [x, 3.1, 4.4, 1.4] }] });
const DIGIT_PNG =
  'iVBORw0KGgoAAAANSUhEUgAAABwAAAAcCAIAAAD9b0jDAAAACXBIWXMAAAPoAAAD6AG1e1JrAAAALUlEQVRIiWNgGAUDBf6Dwaih1AT/R8P0/2iSoir4P5qk/o8mqRGapEYBA9EAAMwBd4kkx2XqAAAAAElFTkSuQmCC';

interface Flow {
  name: string;
  path: string;
  body: () => unknown;
  /** Followed by polling the job until it has finished (asynchronous). */
  job?: boolean;
}

const FLOWS: Flow[] = [
  { name: 'sync iris-mlp', path: '/v2/models/iris-mlp/infer', body: () => iris(5 + Math.random()) },
  { name: 'cached iris-trees', path: '/v2/models/iris-trees/infer', body: () => iris(5 + Math.floor(Math.random() * 50) / 50) },
  { name: 'graph iris-ensemble', path: '/v2/models/iris-ensemble/infer', body: () => iris(5 + Math.random()) },
  { name: 'image mnist-image', path: '/v2/models/mnist-image/infer', body: () => ({ inputs: [{ name: 'image', datatype: 'BYTES', shape: [1], data: [DIGIT_PNG] }] }) },
  { name: 'data-cache mnist-cnn', path: '/v2/models/mnist-cnn/infer', body: () => ({ parameters: { item_id: `mnist-${Math.floor(Math.random() * 2000)}` } }) },
  { name: 'async iris-mlp', path: '/v1/async/models/iris-mlp/infer', body: () => iris(5 + Math.random()), job: true },
];

interface FlowCount {
  requests: number;
  errors: number;
  statuses: Record<string, number>;
}

interface Sample {
  atS: number;
  rssMb: number;
  eventLoopP99Ms: number | undefined;
}

async function rssMb(pid: number | undefined): Promise<number> {
  if (pid === undefined) return Number.NaN;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => '');
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(status)?.[1];
  return kb === undefined ? Number.NaN : Math.round(Number(kb) / 102.4) / 10;
}

async function eventLoopP99Ms(metricsUrl: string | undefined, dispatcher: Agent): Promise<number | undefined> {
  if (!metricsUrl) return undefined;
  try {
    const response = await request(metricsUrl, { dispatcher, headersTimeout: 5_000, bodyTimeout: 5_000 });
    const text = await response.body.text();
    const value = /^nodejs_eventloop_lag_p99_seconds(?:\{[^}]*\})? ([0-9.e+-]+)$/m.exec(text)?.[1];
    return value === undefined ? undefined : Math.round(Number(value) * 10_000) / 10;
  } catch {
    return undefined;
  }
}

async function main(): Promise<void> {
  const modelsExit = await ensureModels();
  if (modelsExit !== 0) throw new Error(`training the missing models failed (exit ${modelsExit})`);
  const natsUrl = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
  const infra = await ensureInfra({ natsUrl });
  const seeded = await seedItems({ natsUrl, output: false });
  if (seeded !== 0) throw new Error(`items:seed exited with code ${seeded}`);
  // Ops ports chosen here, so every NATS service's /metrics can be read.
  const plan = planTopology('all', { ports: { gateway: 0, webSingle: 0 } });
  const opsPorts: Record<string, number> = {};
  for (const service of plan.services) if (service.env['OPS_PORT'] !== undefined) opsPorts[service.name] = await findFreePort();
  const topology: RunningTopology = await startTopology('all', { ports: { gateway: 0, webSingle: 0 }, natsUrl, opsPorts, output: false });
  const gateway = topology.urls.gateway ?? '';
  const metricsUrl = (name: string): string | undefined =>
    opsPorts[name] !== undefined
      ? `http://127.0.0.1:${opsPorts[name]}/metrics`
      : name === 'gateway'
        ? `${gateway}/metrics`
        : name === 'web-single'
          ? `${topology.urls.webSingle}/metrics`
          : undefined;
  const dispatcher = new Agent({ connections: 32, pipelining: 1 });
  const counts = new Map<string, FlowCount>(FLOWS.map((flow) => [flow.name, { requests: 0, errors: 0, statuses: {} }]));
  const samples = new Map<string, Sample[]>([...topology.services.keys()].map((name) => [name, []]));
  const started = Date.now();
  const end = started + durationMs;

  const call = async (path: string, body?: unknown): Promise<{ status: number; json: unknown }> => {
    const response = await request(`${gateway}${path}`, {
      method: body === undefined ? 'GET' : 'POST',
      ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json', 'x-timeout-ms': '5000' } }),
      dispatcher,
      headersTimeout: 10_000,
      bodyTimeout: 10_000,
    });
    return { status: response.statusCode, json: await response.body.json().catch(() => undefined) };
  };

  const client = async (flow: Flow): Promise<void> => {
    const count = counts.get(flow.name) as FlowCount;
    while (Date.now() < end) {
      let status = 0;
      try {
        const answer = await call(flow.path, flow.body());
        status = answer.status;
        if (flow.job && status === 202) {
          const id = (answer.json as { job_id: string }).job_id;
          for (let polls = 0; polls < 100; polls += 1) {
            await new Promise((resolve) => setTimeout(resolve, 50));
            const job = await call(`/v1/jobs/${id}`);
            const state = (job.json as { status?: string } | undefined)?.status;
            if (state === 'succeeded') break;
            if (state === 'failed' || job.status !== 200 || polls === 99) status = 500;
          }
        }
      } catch {
        status = 0;
      }
      count.requests += 1;
      count.statuses[status] = (count.statuses[status] ?? 0) + 1;
      if (status < 200 || status >= 300) count.errors += 1;
      await new Promise((resolve) => setTimeout(resolve, THINK_MS));
    }
  };

  const sampler = async (): Promise<void> => {
    while (Date.now() < end) {
      await Promise.all(
        [...topology.services].map(async ([name, service]) => {
          samples.get(name)?.push({
            atS: Math.round((Date.now() - started) / 1000),
            rssMb: await rssMb(service.pid),
            eventLoopP99Ms: await eventLoopP99Ms(metricsUrl(name), dispatcher),
          });
        }),
      );
      const done = [...counts.values()].reduce((sum, count) => sum + count.requests, 0);
      const errors = [...counts.values()].reduce((sum, count) => sum + count.errors, 0);
      console.log(`${Math.round((Date.now() - started) / 1000)} s: ${done} requests, ${errors} errors, load average ${os.loadavg()[0]?.toFixed(2)}`);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(SAMPLE_MS, end - Date.now()))));
    }
  };

  console.log(`soak: ${minutes} min of mixed load on the 'all' topology (gateway ${gateway}), sampling every ${SAMPLE_MS / 1000} s`);
  try {
    await Promise.all([...FLOWS.map(client), sampler()]);
  } finally {
    await dispatcher.close();
    await topology.stop();
    await infra.stop();
  }

  const services = [...samples].map(([name, series]) => {
    const fifth = Math.max(1, Math.floor(series.length / 5));
    const mean = (part: Sample[]) => part.reduce((sum, s) => sum + s.rssMb, 0) / Math.max(1, part.length);
    const early = mean(series.slice(fifth, 2 * fifth)); // after the first fifth: warm-up done
    const late = mean(series.slice(-fifth));
    const growing = late - early > 30 && late > early * 1.2;
    const loops = series.flatMap((s) => (s.eventLoopP99Ms === undefined ? [] : [s.eventLoopP99Ms]));
    return {
      name,
      rssWarmMb: Math.round(early),
      rssEndMb: Math.round(late),
      rssMaxMb: Math.round(Math.max(...series.map((s) => s.rssMb))),
      eventLoopP99MaxMs: loops.length > 0 ? Math.max(...loops) : undefined,
      growing,
      series,
    };
  });
  console.log('\nservice                          RSS warm MB  RSS end MB  RSS max MB  event-loop p99 max ms  growing');
  for (const s of services) {
    console.log(
      `${s.name.padEnd(32)} ${String(s.rssWarmMb).padStart(11)} ${String(s.rssEndMb).padStart(11)} ${String(s.rssMaxMb).padStart(11)} ${String(s.eventLoopP99MaxMs ?? '-').padStart(22)}  ${s.growing ? 'YES' : 'no'}`,
    );
  }
  console.log('\nflow                      requests  errors  statuses');
  for (const [name, count] of counts) console.log(`${name.padEnd(25)} ${String(count.requests).padStart(8)} ${String(count.errors).padStart(7)}  ${JSON.stringify(count.statuses)}`);
  const path = await writeResults(join(repoRoot(), 'bench', 'results'), 'soak', { minutes, sampleMs: SAMPLE_MS, loadAverage: os.loadavg(), flows: Object.fromEntries(counts), services });
  console.log(`\nresults: ${path}`);
  const failed = [...counts.values()].some((count) => count.errors > 0) || services.some((s) => s.growing);
  if (failed) {
    console.error('soak FAILED: errors were answered, or a service kept growing after warm-up');
    process.exit(1);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
