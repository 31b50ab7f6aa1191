import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import os from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { appEntry, ensureInfra, ensureModels, findFreePort, modelsDir, repoRoot } from '@msp/topology';
import { processCpuMs, processRssMb } from './cpu.js';
import { printColumns, writeResults } from './report.js';

/**
 * `pnpm bench:startup` (issue 12): spawn → ready of our predictor and gateway against the raw
 * references (bench/src/raw: a bare NATS subscriber + onnxruntime, a bare node:http → NATS
 * front) on the same model files, in alternated rounds; and the RSS of one predictor serving
 * several models (MODEL_NAMES) against the raw predictor serving the same ones.
 *
 * Ready means what a deployment waits for: a predictor's `/health/ready` (OPS_PORT) answers 200
 * (model loaded and warmed up, endpoints subscribed and flushed); the gateway's
 * `/v2/health/ready` answers 200 (NATS and a predictor reachable); a raw server prints `raw
 * ready`. Polled every 5 ms. Each row also gives the CPU the process had used when it became
 * ready (less sensitive to a loaded machine than the wall time) and its RSS then; the load
 * average of each round is recorded beside it.
 *
 * Env: BENCH_ROUNDS (default 5), BENCH_MODEL (iris-mlp), BENCH_MULTI_MODELS
 * (iris-softmax,iris-mlp,iris-trees), NATS_URL.
 */
const rounds = Number(process.env['BENCH_ROUNDS'] ?? 5);
const model = process.env['BENCH_MODEL'] ?? 'iris-mlp';
const multiModels = (process.env['BENCH_MULTI_MODELS'] ?? 'iris-softmax,iris-mlp,iris-trees').split(',');
const RAW_SERVER = fileURLToPath(new URL('./raw/raw-server.js', import.meta.url));
const POLL_MS = 5;
const READY_TIMEOUT_MS = 60_000;

interface Sample {
  subject: string;
  side: 'ours' | 'raw';
  round: number;
  readyMs: number;
  cpuMs: number | undefined;
  rssMb: number | undefined;
  load1: number;
}

type Readiness = { kind: 'http'; url: string } | { kind: 'log'; text: string };

interface Started {
  child: ChildProcess;
  readyMs: number;
  cpuMs: number | undefined;
  rssMb: number | undefined;
}

/** Spawns `node <entry>` and resolves at the first sign of readiness, with what it cost until then. */
async function spawnUntilReady(entry: string, env: Record<string, string | undefined>, ready: Readiness): Promise<Started> {
  const started = performance.now();
  const child = spawn(process.execPath, [entry], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  let sawLine = false;
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString()).slice(-4000);
    if (ready.kind === 'log' && output.includes(ready.text)) sawLine = true;
  };
  child.stdout!.on('data', collect);
  child.stderr!.on('data', collect);
  const deadline = started + READY_TIMEOUT_MS;
  while (performance.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${entry} exited with ${child.exitCode} before it was ready:\n${output}`);
    if (ready.kind === 'log' ? sawLine : await answers200(ready.url)) {
      const readyMs = performance.now() - started;
      return { child, readyMs, cpuMs: processCpuMs(child.pid!), rssMb: processRssMb(child.pid) };
    }
    await sleep(POLL_MS);
  }
  child.kill('SIGKILL');
  throw new Error(`${entry} was not ready within ${READY_TIMEOUT_MS} ms:\n${output}`);
}

async function answers200(url: string): Promise<boolean> {
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(500) });
    await response.arrayBuffer();
    return response.status === 200;
  } catch {
    return false;
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/** Our predictor (NATS only, `OPS_PORT` for readiness) serving `models`. */
async function ourPredictor(models: readonly string[], natsUrl: string): Promise<Started> {
  const ops = await findFreePort();
  const names = models.length === 1 ? { MODEL_NAME: models[0] } : { MODEL_NAMES: models.join(',') };
  return spawnUntilReady(
    appEntry('predictor'),
    { ...names, MODELS_DIR: modelsDir(), NATS_URL: natsUrl, OPS_PORT: String(ops), HTTP_PORT: undefined, LOG_LEVEL: 'warn' },
    { kind: 'http', url: `http://127.0.0.1:${ops}/health/ready` },
  );
}

function rawPredictor(models: readonly string[], natsUrl: string): Promise<Started> {
  return spawnUntilReady(RAW_SERVER, { RAW_MODE: 'predictor', RAW_MODELS: models.join(','), MODELS_DIR: modelsDir(), NATS_URL: natsUrl }, { kind: 'log', text: 'raw ready' });
}

async function ourGateway(natsUrl: string): Promise<Started> {
  const port = await findFreePort();
  return spawnUntilReady(
    appEntry('gateway'),
    { PORT: String(port), HOST: '127.0.0.1', NATS_URL: natsUrl, LOG_LEVEL: 'warn' },
    { kind: 'http', url: `http://127.0.0.1:${port}/v2/health/ready` },
  );
}

async function rawFront(natsUrl: string): Promise<Started> {
  const port = await findFreePort();
  return spawnUntilReady(RAW_SERVER, { RAW_MODE: 'front', RAW_PORT: String(port), NATS_URL: natsUrl }, { kind: 'log', text: 'raw ready' });
}

async function measure(samples: Sample[], subject: string, side: Sample['side'], round: number, start: () => Promise<Started>): Promise<void> {
  const load1 = os.loadavg()[0] ?? 0;
  const started = await start();
  samples.push({ subject, side, round, readyMs: started.readyMs, cpuMs: started.cpuMs, rssMb: started.rssMb, load1 });
  await stop(started.child);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

function summarise(samples: readonly Sample[]): Record<string, unknown>[] {
  const subjects = [...new Set(samples.map((sample) => sample.subject))];
  return subjects.flatMap((subject) =>
    (['ours', 'raw'] as const).flatMap((side) => {
      const mine = samples.filter((sample) => sample.subject === subject && sample.side === side);
      if (mine.length === 0) return [];
      const of = (pick: (sample: Sample) => number | undefined): number | undefined => {
        const values = mine.map(pick).filter((value): value is number => value !== undefined);
        return values.length === 0 ? undefined : Math.round(median(values));
      };
      const loads = mine.map((sample) => sample.load1);
      return [
        {
          subject,
          side,
          n: mine.length,
          readyMsMedian: of((sample) => sample.readyMs),
          readyMsMin: Math.round(Math.min(...mine.map((sample) => sample.readyMs))),
          cpuMsMedian: of((sample) => sample.cpuMs),
          rssMbMedian: of((sample) => sample.rssMb),
          load1: `${Math.min(...loads).toFixed(1)}–${Math.max(...loads).toFixed(1)}`,
        },
      ];
    }),
  );
}

function printSummary(rows: Record<string, unknown>[]): void {
  const header = ['subject', 'side', 'n', 'ready ms (median)', 'ready ms (min)', 'CPU ms at ready', 'RSS MB at ready', 'load avg 1m'];
  const keys = ['subject', 'side', 'n', 'readyMsMedian', 'readyMsMin', 'cpuMsMedian', 'rssMbMedian', 'load1'];
  const lines = rows.map((row) => keys.map((key) => String(row[key] ?? '–')));
  printColumns(header, lines);
}

async function main(): Promise<void> {
  const needed = [...new Set([model, ...multiModels])];
  const modelsExit = await ensureModels({ models: needed, output: false });
  if (modelsExit !== 0) throw new Error(`training ${needed.join(', ')} failed (exit ${modelsExit})`);
  const natsUrl = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
  const redisUrl = process.env['REDIS_URL'];
  const infra = await ensureInfra({ natsUrl, ...(redisUrl ? { redisUrl } : {}) });
  const samples: Sample[] = [];
  // The gateway is ready once it sees a predictor: one of ours stays up for the gateway rounds.
  const resident = await ourPredictor([model], natsUrl);
  try {
    for (let round = 1; round <= rounds; round++) {
      // Ours first in odd rounds, raw first in even ones, so drift hits both sides.
      const order: Sample['side'][] = round % 2 === 1 ? ['ours', 'raw'] : ['raw', 'ours'];
      for (const side of order) {
        if (side === 'ours') await measure(samples, `predictor (${model})`, 'ours', round, () => ourPredictor([model], natsUrl));
        else await measure(samples, `predictor (${model})`, 'raw', round, () => rawPredictor([model], natsUrl));
      }
      for (const side of order) {
        if (side === 'ours') await measure(samples, 'gateway / front', 'ours', round, () => ourGateway(natsUrl));
        else await measure(samples, 'gateway / front', 'raw', round, () => rawFront(natsUrl));
      }
      const several = `predictor (${multiModels.join(', ')})`;
      for (const side of order) {
        if (side === 'ours') await measure(samples, several, 'ours', round, () => ourPredictor(multiModels, natsUrl));
        else await measure(samples, several, 'raw', round, () => rawPredictor(multiModels, natsUrl));
      }
    }
  } finally {
    await stop(resident.child);
    await infra.stop();
  }
  const summary = summarise(samples);
  console.log(`\nstart-up: spawn → ready, ${rounds} alternated rounds (Node ${process.version}, ${os.cpus().length} cores)\n`);
  printSummary(summary);
  const path = await writeResults(join(repoRoot(), 'bench', 'results'), 'startup', { rounds, model, multiModels, summary, samples });
  console.log(`\nresults: ${path}`);
}

await main();
