import { stat } from 'node:fs/promises';
import type { NatsConnection } from '@msp/messaging';
import type { PredictionLog } from '@msp/prediction-log';
import type { Logger } from '@msp/telemetry';
import { UsageError, type BatchOptions } from './batch-options.js';
import {
  checkpointMismatches,
  CheckpointRepository,
  identifyInput,
  type Checkpoint,
  type InputIdentity,
  type RowFailure,
  type RunIdentity,
} from './checkpoint.repository.js';
import { countRows, readRows, type InputRow, type RowSourceOptions } from './input-rows.js';
import { runInOrder } from './ordered-pipeline.js';
import { AppendFile } from './output.writer.js';
import { PredictorClient, type ModelInfo, type RowScore } from './predictor.client.js';
import { ProgressReporter } from './progress.reporter.js';

/** Failures kept (in the checkpoint and the summary); the errors file has them all. */
export const MAX_REPORTED_FAILURES = 20;

export interface BatchSummary {
  model: string;
  modelVersion: string;
  input: string;
  output: string;
  totalRows: number;
  /** Rows done over all runs of this job (scored + failed). */
  rowsDone: number;
  scored: number;
  failed: number;
  failures: RowFailure[];
  /** The row this run started at: 0, or where a resumed run picked up. */
  resumedAt: number;
  /** Chunks this run scored. */
  chunks: number;
  durationMs: number;
  /** Rows this run did, per second of scoring (discovery and counting not included). */
  rowsPerSecond: number;
  /** Stopped by a signal before the end: the checkpoint is kept, the next run resumes. */
  interrupted: boolean;
}

export interface BatchDependencies {
  nc: NatsConnection;
  logger: Logger;
  /** Where progress lines go (stderr). */
  progress: (line: string) => void;
  /** Aborted on SIGTERM/SIGINT: chunks in flight are written and checkpointed, no new ones start. */
  signal: AbortSignal;
  /** Backoff of retries; shorter in tests. */
  retryBaseMs?: number;
  /** Where every chunk's prediction is logged (pattern `batch`). */
  predictionLog?: PredictionLog;
}

interface Chunk {
  index: number;
  rows: InputRow[];
}

/**
 * One batch job: score the input in chunks through the predictors, write the output in input
 * order, checkpoint after every chunk (output fsync'ed first), resume from a matching checkpoint.
 */
export async function runBatch(options: BatchOptions, deps: BatchDependencies): Promise<BatchSummary> {
  const started = performance.now();
  const { logger } = deps;
  const client = new PredictorClient(
    deps.nc,
    options.timeoutMs,
    { retries: options.retries, baseMs: deps.retryBaseMs ?? 250, maxMs: 5_000 },
    deps.signal,
    deps.predictionLog,
  );
  const checkpoints = new CheckpointRepository(options.output);
  const identity: RunIdentity = {
    input: await inputIdentity(options.input),
    format: options.format,
    columns: options.columns ?? null,
    model: options.model,
    chunkSize: options.chunkSize,
    errorsPath: options.errors ?? null,
  };
  const previous = await readCheckpoint(checkpoints, options.overwrite);
  if (previous) {
    const problems = checkpointMismatches(previous, identity);
    if (problems.length > 0) {
      throw new UsageError(
        `${checkpoints.path} belongs to another run (${problems.join('; ')}): ` +
          'rerun with the same input and options, or start over with --overwrite (discards the output)',
      );
    }
  } else if (!options.overwrite && (await exists(options.output))) {
    throw new UsageError(`${options.output} exists and has no checkpoint (a finished run?): start over with --overwrite`);
  }

  const model = await client.discover(options.model, previous?.modelVersion);
  const source: RowSourceOptions = { path: options.input, format: options.format, width: model.width, columns: options.columns };
  const now = new Date().toISOString();
  const state: Checkpoint = previous ?? {
    version: 1,
    ...identity,
    modelVersion: model.version,
    totalRows: await countRows(source),
    rowsDone: 0,
    scored: 0,
    failed: 0,
    failures: [],
    outputBytes: 0,
    errorsBytes: 0,
    startedAt: now,
    updatedAt: now,
  };
  // The checkpoint comes first: a run killed before its first chunk then resumes (output cut to 0).
  if (!previous) await checkpoints.write(state);
  const resumedAt = state.rowsDone;
  logger.info(
    { model: model.model, version: model.version, input: options.input, totalRows: state.totalRows, resumedAt },
    resumedAt > 0 ? `resuming at row ${resumedAt} of ${state.totalRows}` : `scoring ${state.totalRows} rows`,
  );

  const output = previous ? await AppendFile.resume(options.output, state.outputBytes) : await AppendFile.create(options.output);
  let errors: AppendFile | undefined;
  const progress = new ProgressReporter(state.totalRows, resumedAt, options.progressMs, deps.progress);
  let chunks = 0;
  let stopped = false;
  try {
    if (options.errors) {
      errors = previous ? await AppendFile.resume(options.errors, state.errorsBytes) : await AppendFile.create(options.errors);
    }
    const errorsFile = errors;
    const commit = async (scores: RowScore[], chunk: Chunk): Promise<void> => {
      const { lines, failures } = chunkOutput(chunk, scores);
      await output.append(lines);
      await output.sync();
      if (errorsFile) {
        await errorsFile.append(failures.map((f) => `${JSON.stringify(f)}\n`).join(''));
        await errorsFile.sync();
      }
      state.rowsDone += chunk.rows.length;
      state.scored += scores.length;
      state.failed += failures.length;
      state.failures.push(...failures.slice(0, MAX_REPORTED_FAILURES - state.failures.length));
      state.outputBytes = output.bytes;
      state.errorsBytes = errorsFile?.bytes ?? 0;
      state.updatedAt = new Date().toISOString();
      await checkpoints.write(state);
      chunks++;
      progress.update(state.rowsDone);
    };
    ({ stopped } = await runInOrder(
      chunksOf(readRows(source), options.chunkSize, state.rowsDone),
      (chunk) => scoreChunk(client, model, chunk),
      commit,
      { concurrency: options.concurrency, signal: deps.signal },
    ));
    if (!stopped && state.rowsDone !== state.totalRows) {
      throw new Error(`the input had ${state.rowsDone} rows, ${state.totalRows} when counted: it changed during the run`);
    }
  } finally {
    await output.close();
    await errors?.close();
  }
  progress.update(state.rowsDone, true);
  if (!stopped) await checkpoints.remove();

  const durationMs = performance.now() - started;
  return {
    model: model.model,
    modelVersion: model.version,
    input: options.input,
    output: options.output,
    totalRows: state.totalRows,
    rowsDone: state.rowsDone,
    scored: state.scored,
    failed: state.failed,
    failures: state.failures,
    resumedAt,
    chunks,
    durationMs,
    rowsPerSecond: progress.rate(state.rowsDone),
    interrupted: stopped,
  };
}

/** Groups rows into chunks of `size`, skipping (without scoring) the `skip` rows a checkpoint has done. */
export async function* chunksOf(rows: AsyncIterable<InputRow>, size: number, skip: number): AsyncGenerator<Chunk> {
  let current: InputRow[] = [];
  let index = Math.floor(skip / size);
  for await (const row of rows) {
    if (row.row < skip) continue;
    current.push(row);
    if (current.length === size) {
      yield { index: index++, rows: current };
      current = [];
    }
  }
  if (current.length > 0) yield { index, rows: current };
}

/** The NDJSON lines of a chunk's scored rows, in row order, and its failed rows. */
export function chunkOutput(chunk: Chunk, scores: readonly RowScore[]): { lines: string; failures: RowFailure[] } {
  let lines = '';
  let next = 0;
  const failures: RowFailure[] = [];
  for (const row of chunk.rows) {
    const idPart = row.id === undefined ? {} : { id: row.id };
    if (row.error !== undefined) {
      failures.push({ row: row.row, ...idPart, reason: row.error });
      continue;
    }
    const score = scores[next++];
    if (!score) throw new Error(`chunk ${chunk.index}: fewer scores than rows`);
    lines += `${JSON.stringify({ row: row.row, ...idPart, label: score.label, probabilities: score.probabilities })}\n`;
  }
  return { lines, failures };
}

async function scoreChunk(client: PredictorClient, model: ModelInfo, chunk: Chunk): Promise<RowScore[]> {
  const features = chunk.rows.flatMap((row) => (row.features ? [row.features] : []));
  if (features.length === 0) return [];
  const first = chunk.rows[0]?.row ?? 0;
  const last = chunk.rows.at(-1)?.row ?? first;
  return client.score(model, features, `chunk ${chunk.index} (rows ${first}–${last})`);
}

async function inputIdentity(path: string): Promise<InputIdentity> {
  try {
    return await identifyInput(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`the input ${path} does not exist`);
    throw error;
  }
}

async function readCheckpoint(checkpoints: CheckpointRepository, overwrite: boolean): Promise<Checkpoint | undefined> {
  try {
    const checkpoint = await checkpoints.read();
    return overwrite ? undefined : checkpoint;
  } catch (error) {
    if (overwrite) return undefined;
    throw new UsageError(`${error instanceof Error ? error.message : String(error)}: start over with --overwrite`);
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
