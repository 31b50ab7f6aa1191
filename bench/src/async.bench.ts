import { join } from 'node:path';
import { Pool } from 'undici';
import { connect } from '@nats-io/transport-node';
import { jobQueueNames } from '@msp/contracts';
import { JobQueue, type JobView } from '@msp/jobs';
import { DEFAULT_NATS_URL, ensureInfra, ensureModels, repoRoot, startApp, startTopology, type ServiceProcess } from '@msp/topology';
import type { LoadResult } from './load.js';
import { printTable, writeResults, type BenchRow } from './report.js';

/**
 * `node bench/dist/async.bench.js`: asynchronous throughput end to end — jobs/s from the first
 * submit until the last job's result is stored — with 1 and then 2 workers (WORKER_CONCURRENCY
 * each), against the gateway and the iris-mlp predictor of the synchronous topology. Completion
 * is read from the JetStream consumer (nothing pending, nothing unacked: a worker acks only
 * after storing the result), so polling does not steal the CPU being measured; afterwards every
 * job is read back to count the succeeded ones and its latency (created → finished).
 * Env: BENCH_ASYNC_JOBS (default 2000), BENCH_ASYNC_SUBMITTERS (default 32),
 * BENCH_ASYNC_WORKERS (default "1,2"), WORKER_CONCURRENCY (default 8).
 */
const jobs = Number(process.env['BENCH_ASYNC_JOBS'] ?? 2000);
const submitters = Number(process.env['BENCH_ASYNC_SUBMITTERS'] ?? 32);
const workerCounts = (process.env['BENCH_ASYNC_WORKERS'] ?? '1,2').split(',').map(Number);
const workerConcurrency = process.env['WORKER_CONCURRENCY'] ?? '8';
const MODEL = 'iris-mlp';
const NS = `bench-${process.pid}`;
const body = JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }] });

interface RunResult {
  workers: number;
  jobs: number;
  refused: number;
  failed: number;
  submitSeconds: number;
  totalSeconds: number;
  jobsPerSecond: number;
  submitsPerSecond: number;
  latencyMs: LoadResult['latencyMs'];
}

async function main(): Promise<void> {
  const modelsExit = await ensureModels();
  if (modelsExit !== 0) throw new Error(`training the missing models failed (exit ${modelsExit})`);
  const natsUrl = process.env['NATS_URL'] ?? DEFAULT_NATS_URL;
  const infra = await ensureInfra({ natsUrl });
  const topology = await startTopology('synchronous', { ports: { gateway: 0 }, natsUrl, output: false, env: { JOBS_NAMESPACE: NS } });
  const nc = await connect({ servers: natsUrl, timeout: 5_000 });
  const queue = new JobQueue(nc, jobQueueNames(NS));
  const pool = new Pool(topology.urls.gateway ?? '', { connections: submitters, pipelining: 1 });
  const results: RunResult[] = [];
  let workers: ServiceProcess[] = [];
  try {
    for (const count of workerCounts) {
      workers = await Promise.all(Array.from({ length: count }, (_, index) => startWorker(`worker-${index + 1}`, natsUrl)));
      await runJobs(pool, queue, 50); // warm-up: connections, JIT, the consumer
      process.stdout.write(`asynchronous, ${count} worker(s) × ${workerConcurrency}: ${jobs} jobs… `);
      const result = await runJobs(pool, queue, jobs);
      const run = { workers: count, ...result };
      console.log(`${run.jobsPerSecond} jobs/s end to end (submits ${run.submitsPerSecond}/s, failed ${run.failed})`);
      results.push(run);
      await Promise.all(workers.map((worker) => worker.stop()));
      workers = [];
    }
  } finally {
    await Promise.all(workers.map((worker) => worker.stop()));
    await pool.close();
    const jsm = await queue.manager().catch(() => undefined);
    await jsm?.streams.delete(queue.names.stream).catch(() => false);
    await jsm?.streams.delete(queue.names.deadStream).catch(() => false);
    await nc.drain();
    await topology.stop();
    await infra.stop();
  }

  const rows: BenchRow[] = results.map((run) => ({
    pattern: `asynchronous ${run.workers}w`,
    model: MODEL,
    concurrency: submitters,
    result: {
      requests: run.jobs,
      errors: run.failed,
      non2xx: run.refused,
      requestsPerSecond: run.jobsPerSecond,
      latencyMs: run.latencyMs,
    },
  }));
  console.log('\njobs/s end to end (req/s column); latency = job created → result stored');
  printTable(rows);
  const path = await writeResults(join(repoRoot(), 'bench', 'results'), 'async-throughput', {
    jobs,
    submitters,
    workerConcurrency: Number(workerConcurrency),
    results,
  });
  console.log(`\nresults: ${path}`);
}

function startWorker(name: string, natsUrl: string): Promise<ServiceProcess> {
  const worker = startApp(
    'worker',
    { name, env: { NATS_URL: natsUrl, JOBS_NAMESPACE: NS, WORKER_CONCURRENCY: workerConcurrency, LOG_LEVEL: 'info' } },
    { output: false },
  );
  return worker
    .waitUntilReady(
      { kind: 'log', match: (line) => /worker ready/.test(String(line.record?.['msg'] ?? '')), description: 'worker ready' },
      { timeoutMs: 30_000 },
    )
    .then(() => worker);
}

async function runJobs(pool: Pool, queue: JobQueue, count: number): Promise<Omit<RunResult, 'workers'>> {
  const started = performance.now();
  const ids: string[] = [];
  let refused = 0;
  let next = 0;
  await Promise.all(
    Array.from({ length: submitters }, async () => {
      while (next < count) {
        next += 1;
        const reply = await pool.request({
          method: 'POST',
          path: `/v1/async/models/${MODEL}/infer`,
          headers: { 'content-type': 'application/json' },
          body,
          headersTimeout: 10_000,
          bodyTimeout: 10_000,
        });
        const answer = (await reply.body.json()) as { job_id?: string };
        if (reply.statusCode === 202 && answer.job_id) ids.push(answer.job_id);
        else refused += 1;
      }
    }),
  );
  const submitted = performance.now();
  await untilDrained(queue, 120_000);
  const finished = performance.now();

  const views: JobView[] = [];
  for (let start = 0; start < ids.length; start += submitters) {
    const batch = await Promise.all(
      ids.slice(start, start + submitters).map(async (id) => {
        const reply = await pool.request({ method: 'GET', path: `/v1/jobs/${id}`, headersTimeout: 10_000, bodyTimeout: 10_000 });
        return (await reply.body.json()) as JobView;
      }),
    );
    views.push(...batch);
  }
  const succeeded = views.filter((view) => view.status === 'succeeded');
  const latencies = succeeded.map((view) => Date.parse(view.updated_at) - Date.parse(view.created_at)).sort((a, b) => a - b);
  const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? 0;
  const totalSeconds = (finished - started) / 1000;
  return {
    jobs: ids.length,
    refused,
    failed: ids.length - succeeded.length,
    submitSeconds: Number(((submitted - started) / 1000).toFixed(3)),
    totalSeconds: Number(totalSeconds.toFixed(3)),
    jobsPerSecond: Math.round(succeeded.length / totalSeconds),
    submitsPerSecond: Math.round(ids.length / ((submitted - started) / 1000)),
    latencyMs: {
      p50: at(0.5),
      p90: at(0.9),
      p99: at(0.99),
      max: latencies.at(-1) ?? 0,
      mean: latencies.reduce((sum, ms) => sum + ms, 0) / Math.max(1, latencies.length),
    },
  };
}

/** Until every submitted job is acked: no message pending for the consumer, none unacked. */
async function untilDrained(queue: JobQueue, timeoutMs: number): Promise<void> {
  const consumer = await queue.consumer();
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const info = await consumer.info();
    if (info.num_pending === 0 && info.num_ack_pending === 0) return;
    if (Date.now() > deadline) throw new Error(`jobs still queued after ${timeoutMs} ms: ${info.num_pending} pending, ${info.num_ack_pending} unacked`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
