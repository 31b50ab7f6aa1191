import { extname, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { ConfigError, integer, logLevel, jetStreamReplicas, natsServers, parseEnv, text, unsetIfEmpty, type LogLevel, predictionLogEnv, predictionLogSettings, type PredictionLogSettings, natsAuthEnv, natsCredentialsOf, type NatsCredentials } from '@msp/config';

export type InputFormat = 'csv' | 'ndjson';

/** Everything one batch run needs, from its arguments and environment. */
export interface BatchOptions {
  model: string;
  /** Absolute paths. */
  input: string;
  output: string;
  /** NDJSON of the rows that could not be scored, beside the summary; optional. */
  errors: string | undefined;
  format: InputFormat;
  /** CSV feature columns in the model's order; default: every column but `id`, in header order. */
  columns: string[] | undefined;
  chunkSize: number;
  concurrency: number;
  timeoutMs: number;
  retries: number;
  /** Discard an existing output (and a checkpoint that does not match) and start over. */
  overwrite: boolean;
  progressMs: number;
  natsServers: string[];
  /** Replicas of the streams and buckets it creates (JETSTREAM_REPLICAS). */
  jetStreamReplicas: number;
  /** NATS_USER / NATS_PASSWORD; anonymous when unset. */
  natsCredentials?: NatsCredentials | undefined;
  logLevel: LogLevel;
  /** Every chunk's prediction to the prediction log (PREDICTION_LOG*). */
  predictionLog: PredictionLogSettings;
}

/** A mistake in the invocation or its input's shape: nothing was scored; exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export const USAGE = `usage: batch --model <name> --input <file.csv|file.ndjson> --output <file.ndjson> [options]

Scores a file through the model's predictors over NATS, in chunks, resumably.

  --model <name>        model to score with (BATCH_MODEL)
  --input <file>        CSV with a header, or NDJSON {"id"?, "features": [...]} (BATCH_INPUT)
  --output <file>       NDJSON out, one line per scored row, in input order (BATCH_OUTPUT)
  --errors <file>       also write the rows that failed as NDJSON (BATCH_ERRORS)
  --format csv|ndjson   default: from the input's extension (BATCH_FORMAT)
  --columns a,b,c       CSV feature columns in the model's order (BATCH_COLUMNS)
  --chunk-size <n>      rows per request, default 500 (BATCH_CHUNK_SIZE)
  --concurrency <n>     chunks in flight, default 3 (BATCH_CONCURRENCY)
  --timeout-ms <n>      deadline of each chunk request, default 10000 (BATCH_TIMEOUT_MS)
  --retries <n>         retries of a chunk after 503/504, default 5 (BATCH_RETRIES)
  --progress-ms <n>     progress line interval on stderr, default 500 (BATCH_PROGRESS_MS)
  --overwrite           start over: discard an existing output and checkpoint
  -h, --help            this text

A run resumes by itself when <output>.checkpoint.json matches the input and options.
NATS_URL (default nats://127.0.0.1:4222) and LOG_LEVEL (default info) come from the environment.
Exit codes: 0 done (even with bad rows), 1 run failed or interrupted (rerun to resume), 2 usage.`;

const MODEL_NAME = /^[a-z0-9][a-z0-9-]*$/;

const BatchEnvSchema = z.object({
  BATCH_MODEL: z.preprocess(unsetIfEmpty, z.string().regex(MODEL_NAME, 'expected a kebab-case model name')),
  BATCH_INPUT: z.preprocess(unsetIfEmpty, z.string()),
  BATCH_OUTPUT: z.preprocess(unsetIfEmpty, z.string()),
  BATCH_ERRORS: z.preprocess(unsetIfEmpty, z.string().optional()),
  BATCH_FORMAT: z.preprocess(unsetIfEmpty, z.enum(['csv', 'ndjson']).optional()),
  BATCH_COLUMNS: z.preprocess(unsetIfEmpty, z.string().optional()),
  BATCH_CHUNK_SIZE: integer(500, 1, 100_000),
  BATCH_CONCURRENCY: integer(3, 1, 64),
  BATCH_TIMEOUT_MS: integer(10_000, 1),
  BATCH_RETRIES: integer(5, 0, 100),
  BATCH_PROGRESS_MS: integer(500, 50),
  BATCH_OVERWRITE: text('false').pipe(z.enum(['true', 'false', '1', '0'])),
  NATS_URL: natsServers(),
  ...natsAuthEnv,
  JETSTREAM_REPLICAS: jetStreamReplicas(),
  LOG_LEVEL: logLevel(),
  ...predictionLogEnv,
});

/** Each option and the variable it overrides. */
const FLAGS = {
  model: 'BATCH_MODEL',
  input: 'BATCH_INPUT',
  output: 'BATCH_OUTPUT',
  errors: 'BATCH_ERRORS',
  format: 'BATCH_FORMAT',
  columns: 'BATCH_COLUMNS',
  'chunk-size': 'BATCH_CHUNK_SIZE',
  concurrency: 'BATCH_CONCURRENCY',
  'timeout-ms': 'BATCH_TIMEOUT_MS',
  retries: 'BATCH_RETRIES',
  'progress-ms': 'BATCH_PROGRESS_MS',
} as const;

export type ParsedCommand = { help: true } | { help: false; options: BatchOptions };

/**
 * Arguments override the environment (`--chunk-size` over `BATCH_CHUNK_SIZE`), so a k8s CronJob
 * can set either. Every bad value is listed in one UsageError.
 */
export function parseBatchCommand(
  argv: readonly string[],
  env: Record<string, string | undefined> = process.env,
  cwd: string = process.cwd(),
): ParsedCommand {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      options: {
        ...Object.fromEntries(Object.keys(FLAGS).map((flag) => [flag, { type: 'string' as const }])),
        overwrite: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      allowPositionals: false,
      strict: true,
    }));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  if (values['help']) return { help: true };

  const merged: Record<string, string | undefined> = { ...env };
  for (const [flag, variable] of Object.entries(FLAGS)) {
    const value = values[flag];
    if (typeof value === 'string') merged[variable] = value;
  }
  if (values['overwrite']) merged['BATCH_OVERWRITE'] = 'true';

  let e: z.output<typeof BatchEnvSchema>;
  try {
    e = parseEnv('batch', BatchEnvSchema, merged);
  } catch (error) {
    if (error instanceof ConfigError) throw new UsageError(`invalid batch options:\n  ${error.problems.map(withFlag).join('\n  ')}`);
    throw error;
  }

  const input = resolve(cwd, e.BATCH_INPUT);
  const output = resolve(cwd, e.BATCH_OUTPUT);
  const errors = e.BATCH_ERRORS === undefined ? undefined : resolve(cwd, e.BATCH_ERRORS);
  if (input === output) throw new UsageError('--output must not be the input file');
  if (errors !== undefined && (errors === output || errors === input)) {
    throw new UsageError('--errors must differ from --input and --output');
  }
  const columns = e.BATCH_COLUMNS?.split(',').map((column) => column.trim());
  if (columns && (columns.length === 0 || columns.some((column) => column === ''))) {
    throw new UsageError('--columns must be a comma-separated list of column names');
  }
  return {
    help: false,
    options: {
      model: e.BATCH_MODEL,
      input,
      output,
      errors,
      format: e.BATCH_FORMAT ?? formatOf(input),
      columns,
      chunkSize: e.BATCH_CHUNK_SIZE,
      concurrency: e.BATCH_CONCURRENCY,
      timeoutMs: e.BATCH_TIMEOUT_MS,
      retries: e.BATCH_RETRIES,
      overwrite: e.BATCH_OVERWRITE === 'true' || e.BATCH_OVERWRITE === '1',
      progressMs: e.BATCH_PROGRESS_MS,
      natsServers: e.NATS_URL,
      jetStreamReplicas: e.JETSTREAM_REPLICAS,
      natsCredentials: natsCredentialsOf(e),
      logLevel: e.LOG_LEVEL,
      predictionLog: predictionLogSettings(e),
    },
  };
}

function formatOf(input: string): InputFormat {
  const extension = extname(input).toLowerCase();
  if (extension === '.csv') return 'csv';
  if (extension === '.ndjson' || extension === '.jsonl') return 'ndjson';
  throw new UsageError(`cannot tell the format of '${input}' from its extension: pass --format csv|ndjson`);
}

/** `BATCH_CHUNK_SIZE="x": …` → `--chunk-size / BATCH_CHUNK_SIZE="x": …`. */
function withFlag(problem: string): string {
  for (const [flag, variable] of Object.entries(FLAGS)) {
    if (problem.startsWith(`${variable}=`)) {
      const rest = problem.slice(variable.length);
      return variable === 'BATCH_MODEL' || variable === 'BATCH_INPUT' || variable === 'BATCH_OUTPUT'
        ? `--${flag} (or ${variable})${rest.replace(/^=\(unset\): .*/, ' is required')}`
        : `--${flag} / ${variable}${rest}`;
    }
  }
  return problem;
}
