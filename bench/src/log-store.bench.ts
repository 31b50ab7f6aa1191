import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { jetstreamManager } from '@nats-io/jetstream';
import { connect } from '@nats-io/transport-node';
import pg from 'pg';
import { PredictionLogStream } from '@msp/contracts';
import { ownNatsServer } from '@msp/messaging/testing';
import { encodePrediction, ensurePredictionLogStream } from '@msp/prediction-log';
import { findFreePort, opsReadiness, repoRoot, startApp } from '@msp/topology';
import { measureCpu, processRssMb } from './cpu.js';
import { printColumns, writeResults } from './report.js';

/**
 * `node bench/dist/log-store.bench.js`: what one monitor costs per prediction it stores and
 * monitors, and how many it keeps up with — the log's other half, off the serving path. A
 * monitor runs against a NATS server of this run's own; LOG_BENCH_RECORDS iris predictions are
 * published as a busy gateway publishes them (100 records a message), and the monitor's CPU and
 * wall time are measured until its store has acknowledged every one (its window has seen them
 * too). Once per store: the embedded one (`pnpm start`'s default) and PostgreSQL
 * (LOG_DATABASE_URL, default postgres://postgres@127.0.0.1:5432/postgres; skipped when it does
 * not answer). Env: LOG_BENCH_RECORDS (default 50000), LOG_BENCH_ROUNDS (default 2),
 * LOG_BENCH_STORES (default "embedded,postgres"), LOG_BATCH_SIZE (the monitor's, passed through).
 */
const RECORDS = Number(process.env['LOG_BENCH_RECORDS'] ?? 50_000);
const ROUNDS = Number(process.env['LOG_BENCH_ROUNDS'] ?? 2);
const PER_MESSAGE = 100;
const POSTGRES_URL = process.env['LOG_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const MODEL = 'iris-mlp';

/** The published lines: what the gateway's publisher encodes for an iris prediction. */
function lines(round: number): string[] {
  return Array.from({ length: RECORDS }, (_, i) =>
    encodePrediction(
      {
        requestId: `bench-${round}-${i}`,
        pattern: 'sync',
        model: MODEL,
        version: '1',
        inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [5.1 + (i % 7) / 10, 3.5, 1.4 + (i % 5) / 10, 0.2] }],
        outputs: [
          { name: 'label', datatype: 'BYTES', shape: [1], data: ['setosa'] },
          { name: 'probabilities', datatype: 'FP32', shape: [1, 3], data: [0.97, 0.02, 0.01] },
        ],
        status: 200,
        latencyMs: { total: 1.2 },
        traceId: '0af7651916cd43dd8448eb211c80319c',
        ts: Date.now(),
      },
      4096,
    ),
  );
}

interface Run {
  store: string;
  round: number;
  records: number;
  seconds: number;
  recordsPerSecond: number;
  cpuUsPerRecord: number;
  rssMb: number | undefined;
}

async function postgresAnswers(): Promise<boolean> {
  const client = new pg.Client({ connectionString: POSTGRES_URL, connectionTimeoutMillis: 2_000 });
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

async function run(store: 'embedded' | 'postgres', round: number): Promise<Run> {
  const dir = await mkdtemp(join(tmpdir(), 'msp-bench-log-'));
  const nats = await ownNatsServer({ storeDir: join(dir, 'jetstream') });
  await nats.start();
  const schema = `msp_bench_log_${process.pid}_${round}`;
  const admin = store === 'postgres' ? new pg.Client({ connectionString: POSTGRES_URL }) : undefined;
  await admin?.connect();
  await admin?.query(`create schema ${schema}`);
  const nc = await connect({ servers: nats.url });
  const opsPort = await findFreePort();
  const databaseUrl = new URL(POSTGRES_URL);
  databaseUrl.searchParams.set('options', `-c search_path=${schema}`);
  const monitor = startApp(
    'monitor',
    {
      name: `monitor-${store}`,
      env: {
        NATS_URL: nats.url,
        OPS_PORT: String(opsPort),
        LOG_DATA_DIR: join(dir, 'log'),
        LOG_DATABASE_URL: store === 'postgres' ? databaseUrl.toString() : undefined,
        OTEL_EXPORTER_OTLP_ENDPOINT: undefined,
      },
    },
    { output: false },
  );
  try {
    await monitor.waitUntilReady(opsReadiness(opsPort), { timeoutMs: 60_000 });
    await ensurePredictionLogStream(nc);
    const jsm = await jetstreamManager(nc);
    // PER_MESSAGE records a message: what a gateway's 10 ms flush holds at ~10k req/s.
    const all = lines(round);
    const bodies: string[] = [];
    for (let i = 0; i < all.length; i += PER_MESSAGE) bodies.push(all.slice(i, i + PER_MESSAGE).join('\n'));
    const started = performance.now();
    const { cpuMs } = await measureCpu({ monitor: monitor.pid }, async () => {
      for (const body of bodies) nc.publish(PredictionLogStream.subject(MODEL), body);
      await nc.flush();
      const deadline = Date.now() + 300_000;
      for (;;) {
        const info = await jsm.consumers.info(PredictionLogStream.name, PredictionLogStream.storeConsumer).catch(() => undefined);
        if (info && info.num_pending === 0 && info.num_ack_pending === 0 && info.delivered.stream_seq >= bodies.length) return;
        if (Date.now() > deadline) throw new Error(`the ${store} monitor did not store ${RECORDS} records within 300 s`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    });
    const seconds = (performance.now() - started) / 1000;
    const cpu = cpuMs['monitor'] ?? 0;
    return {
      store,
      round,
      records: RECORDS,
      seconds: Number(seconds.toFixed(2)),
      recordsPerSecond: Math.round(RECORDS / seconds),
      cpuUsPerRecord: Math.round((cpu * 1000) / RECORDS),
      rssMb: processRssMb(monitor.pid),
    };
  } finally {
    await monitor.stop({ timeoutMs: 10_000 });
    await nc.close();
    await nats.stop();
    await admin?.query(`drop schema if exists ${schema} cascade`);
    await admin?.end();
    await rm(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  const wanted = (process.env['LOG_BENCH_STORES'] ?? 'embedded,postgres').split(',');
  const stores: ('embedded' | 'postgres')[] = wanted.includes('embedded') ? ['embedded'] : [];
  if (wanted.includes('postgres')) {
    if (await postgresAnswers()) stores.push('postgres');
    else console.log(`PostgreSQL does not answer at ${POSTGRES_URL}: the embedded store only`);
  }
  const runs: Run[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const store of stores) {
      process.stdout.write(`round ${round}: ${RECORDS} records into the ${store} store… `);
      const result = await run(store, round);
      console.log(`${result.recordsPerSecond} records/s, ${result.cpuUsPerRecord} µs CPU per record`);
      runs.push(result);
    }
  }
  console.log();
  const header = ['store', 'round', 'records', 'seconds', 'records/s', 'CPU µs/record', 'RSS MB'];
  const rows = runs.map((r) => [r.store, String(r.round), String(r.records), r.seconds.toFixed(2), String(r.recordsPerSecond), String(r.cpuUsPerRecord), String(r.rssMb ?? '-')]);
  printColumns(header, rows);
  const path = await writeResults(join(repoRoot(), 'bench', 'results'), 'log-store', { records: RECORDS, perMessage: PER_MESSAGE, batchSize: process.env['LOG_BATCH_SIZE'] ?? 'default', runs });
  console.log(`\nwrote ${path}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
