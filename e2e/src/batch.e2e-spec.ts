import { spawn, type ChildProcessByStdio } from 'node:child_process';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng, loadIrisSplit } from '@msp/datasets';
import { repoRoot } from '@msp/topology';
import { composeControl } from './support/compose.js';
import { target } from './support/target.js';

/**
 * The batch job as a real process against the suite's NATS and its `iris-mlp` predictors:
 * 10,000 iris-like rows (held-out flowers with seeded noise) and a few bad ones, scored straight
 * through, then again with the run killed half way and resumed. Against the topology the suite
 * started itself it is a local process; against a `docker compose up` stack it is the stack's
 * one-shot `batch` service (`docker compose --profile batch run`), killed with `docker kill`.
 */
const { local } = target();
const compose = composeControl();
const MODEL = 'iris-mlp';
const GOOD_ROWS = 10_000;
const CHUNK_SIZE = 20;
const RUN_TIMEOUT_MS = 60_000;
/** Where the bad rows go (data row index in the file) and why each one is bad. */
const BAD_ROWS = new Map<number, { line: (id: string) => string; reason: RegExp }>([
  [17, { line: (id) => `${id},5.1,3.5,1.4,abc`, reason: /^row 17: petal_width is not a number \("abc"\)$/ }],
  [1_234, { line: (id) => `${id},5.1,3.5`, reason: /^row 1234: expected 5 fields, got 3$/ }],
  [4_999, { line: (id) => `${id},,3.5,1.4,0.2`, reason: /^row 4999: sepal_length is not a number/ }],
  [5_000, { line: (id) => `${id},5.1,NaN,1.4,0.2`, reason: /^row 5000: sepal_width is not a number/ }],
  [7_777, { line: (id) => `${id},5.1,3.5,1.4,0.2,9`, reason: /^row 7777: expected 5 fields, got 6$/ }],
  [9_999, { line: (id) => `${id},1e999,3.5,1.4,0.2`, reason: /^row 9999: sepal_length is not a number/ }],
]);
const TOTAL_ROWS = GOOD_ROWS + BAD_ROWS.size;

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

interface RunningBatch {
  pid: number;
  kill: (signal: NodeJS.Signals) => void;
  done: Promise<RunResult>;
}

interface OutputRow {
  row: number;
  id?: string;
  label: string;
  probabilities: number[];
}

interface Summary {
  totalRows: number;
  scored: number;
  failed: number;
  resumedAt: number;
  failures: { row: number; id?: string; reason: string }[];
}

/**
 * Starts one batch run over files in `dir`: a local process, or the compose stack's `batch`
 * service with `dir` as its /data (the container runs as uid 1000, so `dir` is world-writable).
 */
function startBatch(dir: string, args: readonly string[]): RunningBatch {
  if (compose) {
    const name = `msp-e2e-batch-${process.pid}-${++composeRuns}`;
    const inContainer = args.map((arg) => (arg.startsWith(dir) ? `/data${arg.slice(dir.length)}` : arg));
    const [file, ...base] = target().compose.split(' ');
    const run = ['--profile', 'batch', 'run', '--rm', '-T', '--name', name, 'batch', 'node', 'dist/batch-main.js', ...inContainer];
    const batch = watch(spawn(file as string, [...base, ...run], { env: { ...process.env, BATCH_DATA_DIR: dir }, stdio: ['ignore', 'pipe', 'pipe'] }));
    return { ...batch, kill: (signal) => void spawn(target().docker, ['kill', '--signal', signal, name], { stdio: 'ignore' }) };
  }
  const child = spawn(process.execPath, [join(repoRoot(), 'apps', 'worker', 'dist', 'batch-main.js'), ...args], {
    env: { ...process.env, NATS_URL: target().natsUrl, LOG_LEVEL: 'info' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return watch(child);
}
let composeRuns = 0;

/** Collects a run's output and exit; a run that outlives RUN_TIMEOUT_MS is killed. */
function watch(child: ChildProcessByStdio<null, Readable, Readable>): RunningBatch {
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (text: string) => (stdout += text));
  child.stderr.setEncoding('utf8').on('data', (text: string) => (stderr += text));
  const timer = setTimeout(() => child.kill('SIGKILL'), RUN_TIMEOUT_MS);
  const done = new Promise<RunResult>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
  return { pid: child.pid ?? -1, kill: (signal) => void child.kill(signal), done };
}

function summaryOf(result: RunResult): Summary {
  for (const line of result.stdout.split('\n')) {
    if (!line.startsWith('{')) continue;
    const record = JSON.parse(line) as { msg?: string; summary?: Summary };
    if (record.msg === 'batch done' && record.summary) return record.summary;
  }
  throw new Error(`no summary in the batch's output:\n${result.stdout}\n${result.stderr}`);
}

function parseOutput(text: string): OutputRow[] {
  return text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as OutputRow);
}

async function rowsDone(checkpoint: string): Promise<number> {
  try {
    return (JSON.parse(await readFile(checkpoint, 'utf8')) as { rowsDone: number }).rowsDone;
  } catch {
    return 0;
  }
}

/** A run ended by SIGKILL: the signal of a local process, 128 + 9 from `docker compose run`. */
const killedHard = (result: RunResult): boolean => result.signal === 'SIGKILL' || result.code === 137;

describe.runIf(local || compose)('batch scoring of a file, killed and resumed', () => {
  let dir: string;
  let input: string;
  let straight: string;
  /** Good rows: data row index → [id, expected class]. */
  const expected = new Map<number, { id: string; label: string }>();

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'msp-e2e-batch-'));
    await chmod(dir, 0o777);
    input = join(dir, 'flowers.csv');
    const { test, labels } = loadIrisSplit();
    const rng = createRng(7);
    const lines = ['id,sepal_length,sepal_width,petal_length,petal_width'];
    let good = 0;
    for (let row = 0; row < TOTAL_ROWS; row++) {
      const id = `f${row}`;
      const bad = BAD_ROWS.get(row);
      if (bad) {
        lines.push(bad.line(id));
        continue;
      }
      const pick = good++ % test.features.length;
      const flower = test.features[pick] ?? [];
      lines.push([id, ...flower.map((x) => (x + rng.normal() * 0.05).toFixed(2))].join(','));
      expected.set(row, { id, label: labels[test.targets[pick] ?? -1] ?? '?' });
    }
    await writeFile(input, `${lines.join('\n')}\n`);
  });

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('scores every good row once, in input order, and reports the bad rows', async () => {
    straight = join(dir, 'straight.ndjson');
    const errors = join(dir, 'straight-errors.ndjson');
    const run = startBatch(dir, ['--model', MODEL, '--input', input, '--output', straight, '--errors', errors, '--chunk-size', String(CHUNK_SIZE)]);
    const result = await run.done;
    expect(result.code, result.stderr).toBe(0);

    const rows = parseOutput(await readFile(straight, 'utf8'));
    expect(rows.map((r) => r.row)).toEqual([...expected.keys()]);
    expect(rows.map((r) => r.id)).toEqual([...expected.values()].map((e) => e.id));
    for (const row of rows) {
      expect(row.probabilities).toHaveLength(3);
      expect(row.probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 4);
    }
    // Held-out flowers with a little noise: the model should still name nearly all of them right.
    const right = rows.filter((r) => r.label === expected.get(r.row)?.label).length;
    expect(right / rows.length).toBeGreaterThan(0.9);

    const summary = summaryOf(result);
    expect(summary).toMatchObject({ totalRows: TOTAL_ROWS, scored: GOOD_ROWS, failed: BAD_ROWS.size, resumedAt: 0 });
    expect(summary.failures.map((f) => f.row)).toEqual([...BAD_ROWS.keys()]);
    for (const failure of summary.failures) expect(failure.reason).toMatch(BAD_ROWS.get(failure.row)?.reason ?? /never/);
    expect(parseOutput(await readFile(errors, 'utf8')).map((e) => e.row)).toEqual([...BAD_ROWS.keys()]);
    expect(result.stderr).toMatch(/failed {3}6\n\s+row 17: petal_width is not a number/);
    await expect(stat(`${straight}.checkpoint.json`)).rejects.toThrow(/ENOENT/);
  });

  it('resumes a run killed half way: no row scored twice or lost, output identical to the straight run', async () => {
    const output = join(dir, 'resumed.ndjson');
    const checkpoint = `${output}.checkpoint.json`;
    const args = ['--model', MODEL, '--input', input, '--output', output, '--chunk-size', String(CHUNK_SIZE)];

    const first = startBatch(dir, args);
    const watchUntil = Date.now() + RUN_TIMEOUT_MS;
    let done = 0;
    while ((done = await rowsDone(checkpoint)) < TOTAL_ROWS / 2) {
      if (Date.now() > watchUntil) throw new Error('the batch never got half way');
      await sleep(5);
    }
    first.kill('SIGKILL');
    const killed = await first.done;
    expect(killedHard(killed), JSON.stringify(killed)).toBe(true);
    const atKill = await rowsDone(checkpoint);
    expect(atKill, 'the run finished before it could be killed half way').toBeLessThan(TOTAL_ROWS);
    expect(atKill).toBeGreaterThanOrEqual(done);

    const second = startBatch(dir, args);
    const resumed = await second.done;
    expect(resumed.code, resumed.stderr).toBe(0);
    const summary = summaryOf(resumed);
    expect(summary.resumedAt).toBe(atKill);
    expect(summary).toMatchObject({ totalRows: TOTAL_ROWS, scored: GOOD_ROWS, failed: BAD_ROWS.size });
    expect(resumed.stderr).toMatch(/resumed at row/);

    const text = await readFile(output, 'utf8');
    const rows = parseOutput(text);
    expect(new Set(rows.map((r) => r.row)).size).toBe(rows.length);
    expect(rows.map((r) => r.row)).toEqual([...expected.keys()]);
    expect(text).toBe(await readFile(straight, 'utf8'));
    await expect(stat(checkpoint)).rejects.toThrow(/ENOENT/);
  });

  it('stops cleanly on SIGTERM with exit 1 and a checkpoint the next run resumes from', async () => {
    const output = join(dir, 'terminated.ndjson');
    const checkpoint = `${output}.checkpoint.json`;
    const args = ['--model', MODEL, '--input', input, '--output', output, '--chunk-size', String(CHUNK_SIZE)];

    const first = startBatch(dir, args);
    const watchUntil = Date.now() + RUN_TIMEOUT_MS;
    while ((await rowsDone(checkpoint)) < TOTAL_ROWS / 4) {
      if (Date.now() > watchUntil) throw new Error('the batch never got a quarter of the way');
      await sleep(5);
    }
    first.kill('SIGTERM');
    const stopped = await first.done;
    expect(stopped.code, stopped.stderr).toBe(1);
    expect(stopped.stderr).toMatch(/interrupted after .*; rerun to resume/);
    const atStop = await rowsDone(checkpoint);
    expect(atStop).toBeLessThan(TOTAL_ROWS);
    // Nothing past the checkpoint: a graceful stop writes whole chunks and checkpoints them.
    expect(parseOutput(await readFile(output, 'utf8')).at(-1)?.row).toBeLessThan(atStop);

    const resumed = await startBatch(dir, args).done;
    expect(resumed.code, resumed.stderr).toBe(0);
    expect(summaryOf(resumed).resumedAt).toBe(atStop);
    expect(await readFile(output, 'utf8')).toBe(await readFile(straight, 'utf8'));
  });
});
