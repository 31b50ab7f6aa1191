import { resolve } from 'node:path';
import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** An empty variable (`HTTP_PORT=` in an env file) means "not set", so the default applies. */
const unsetIfEmpty = (value: unknown): unknown => (typeof value === 'string' && value.trim() === '' ? undefined : value);

const wholeNumber = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .trim()
    .regex(/^\d{1,15}$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

const integer = (fallback: number, min: number, max?: number) =>
  z.preprocess(unsetIfEmpty, wholeNumber(min, max).default(fallback));

/** `nats://host:port`, `tls://…`, `ws(s)://…` or a bare `host:port`; user:password@ allowed. */
const NATS_SERVER = /^((nats|tls|ws|wss):\/\/)?[^\s/,]+$/;

/** Model names are kebab-case, as the manifest schema and the NATS subjects require. */
const MODEL_NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;

/** The predictor's environment: every variable, its default, and what is valid. */
export const PredictorEnvSchema = z
  .object({
    MODEL_NAME: z.preprocess(
      unsetIfEmpty,
      z
        .string({ error: 'is required: the name of the model to serve, e.g. iris-mlp' })
        .trim()
        .max(64, 'must be at most 64 characters')
        .regex(MODEL_NAME, 'must be a kebab-case model name such as iris-mlp'),
    ),
    MODELS_DIR: z.preprocess(unsetIfEmpty, z.string().default('models')),
    NATS_URL: z.preprocess(
      unsetIfEmpty,
      z
        .string()
        .default('nats://127.0.0.1:4222')
        .transform((value) =>
          value
            .split(',')
            .map((server) => server.trim())
            .filter(Boolean),
        )
        .pipe(
          z
            .array(z.string().regex(NATS_SERVER, 'expected nats://host:port (a comma-separated list is fine)'))
            .min(1, 'expected at least one NATS server'),
        ),
    ),
    HTTP_PORT: z.preprocess(unsetIfEmpty, wholeNumber(0, 65_535).optional()),
    HTTP_HOST: z.preprocess(unsetIfEmpty, z.string().trim().default('0.0.0.0')),
    REQUEST_TIMEOUT_MS: integer(10_000, 1),
    MAX_TIMEOUT_MS: integer(60_000, 1),
    BODY_LIMIT_BYTES: integer(8 * 1024 * 1024, 1024),
    MAX_BATCH_ROWS: integer(1024, 1, 1_000_000),
    FAULT_DELAY_MS: integer(0, 0, 3_600_000),
    LOG_LEVEL: z.preprocess(
      (value) => (typeof unsetIfEmpty(value) === 'string' ? String(value).trim().toLowerCase() : undefined),
      z.enum(LOG_LEVELS).default('info'),
    ),
  })
  .refine((env) => env.REQUEST_TIMEOUT_MS <= env.MAX_TIMEOUT_MS, {
    path: ['REQUEST_TIMEOUT_MS'],
    message: 'must not be larger than MAX_TIMEOUT_MS',
  });

export interface PredictorConfig {
  /** The one model this process serves. */
  modelName: string;
  /** Absolute; `<modelsDir>/<modelName>/{manifest.json,model.onnx}`. */
  modelsDir: string;
  natsServers: string[];
  /** Set when the process also serves the OIP v2 REST routes itself (web-single). */
  http?: { port: number; host: string; bodyLimitBytes: number };
  /** Deadline of a request that carries none (NATS `Msp-Deadline`, HTTP `x-timeout-ms`). */
  requestTimeoutMs: number;
  /** The longest deadline an HTTP client may ask for. */
  maxTimeoutMs: number;
  maxBatchRows: number;
  /** Artificial delay per request, to make a predictor slow on purpose (tests, demos). */
  faultDelayMs: number;
  logLevel: LogLevel;
}

/** Every bad variable at once, so one restart fixes them all. */
export class PredictorConfigError extends Error {
  override readonly name = 'PredictorConfigError';

  constructor(readonly problems: string[]) {
    super(`invalid predictor configuration:\n  ${problems.join('\n  ')}`);
  }
}

/** Reads and validates the environment; the one place of the predictor that reads it. */
export function loadPredictorConfig(env: Record<string, string | undefined>, cwd: string = process.cwd()): PredictorConfig {
  const parsed = PredictorEnvSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => {
      const name = String(issue.path[0] ?? '(environment)');
      const given = env[name];
      return `${name}=${given === undefined ? '(unset)' : JSON.stringify(given)}: ${issue.message}`;
    });
    throw new PredictorConfigError(problems);
  }
  const vars = parsed.data;
  return {
    modelName: vars.MODEL_NAME,
    modelsDir: resolve(cwd, vars.MODELS_DIR),
    natsServers: vars.NATS_URL,
    ...(vars.HTTP_PORT === undefined
      ? {}
      : { http: { port: vars.HTTP_PORT, host: vars.HTTP_HOST, bodyLimitBytes: vars.BODY_LIMIT_BYTES } }),
    requestTimeoutMs: vars.REQUEST_TIMEOUT_MS,
    maxTimeoutMs: vars.MAX_TIMEOUT_MS,
    maxBatchRows: vars.MAX_BATCH_ROWS,
    faultDelayMs: vars.FAULT_DELAY_MS,
    logLevel: vars.LOG_LEVEL,
  };
}
