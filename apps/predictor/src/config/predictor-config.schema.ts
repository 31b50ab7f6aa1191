// The api-keys entry alone: a predictor without HTTP never loads Fastify and Nest's HTTP stack.
import { loadApiKeys } from '@msp/oip-server/api-keys';
import { resolve } from 'node:path';
import { z } from 'zod';
import { integer, logLevel, jetStreamReplicas, natsServers, opsPort, optionalInteger, parseEnv, text, unsetIfEmpty, type LogLevel, predictionLogEnv, predictionLogSettings, type PredictionLogSettings, natsAuthEnv, natsCredentialsOf, type NatsCredentials } from '@msp/config';

export type { LogLevel };

/** Model names are kebab-case, as the manifest schema and the NATS subjects require. */
const MODEL_NAME = /^[a-z0-9]+(-[a-z0-9]+)*$/;

const modelName = z
  .string()
  .trim()
  .max(64, 'must be at most 64 characters')
  .regex(MODEL_NAME, 'must be a kebab-case model name such as iris-mlp');

/** `iris-mlp,iris-softmax`: the models one process serves, each its own subjects and discovery entry. */
const modelNames = z.preprocess(
  unsetIfEmpty,
  z
    .string()
    .transform((list) => list.split(',').map((name) => name.trim()).filter((name) => name !== ''))
    .pipe(
      z
        .array(modelName)
        .min(1, 'must name at least one model')
        .refine((names) => new Set(names).size === names.length, 'names a model twice'),
    )
    .optional(),
);

/**
 * A setting per model: `16` for every model, `mnist-cnn=32` for one, or both
 * (`1,mnist-cnn=32`: the plain number for the models not named).
 */
const perModelInteger = (fallback: number, min: number, max: number) =>
  z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .default(String(fallback))
      .transform((value, ctx) => {
        const setting = { all: fallback, byModel: {} as Record<string, number> };
        for (const entry of value.split(',').map((part) => part.trim()).filter((part) => part !== '')) {
          const [name, number] = entry.includes('=') ? entry.split('=', 2).map((part) => part.trim()) : [undefined, entry];
          const n = Number(number);
          if (!/^[0-9]+$/.test(number ?? '') || n < min || n > max || (name !== undefined && !MODEL_NAME.test(name))) {
            ctx.addIssue({ code: 'custom', message: `must be a whole number from ${min} to ${max}, or model=number entries (e.g. 1,mnist-cnn=32); '${entry}' is not` });
            return z.NEVER;
          }
          if (name === undefined) setting.all = n;
          else setting.byModel[name] = n;
        }
        return setting;
      }),
  );

/** The predictor's environment: every variable, its default, and what is valid. */
export const PredictorEnvSchema = z
  .object({
    MODEL_NAME: z.preprocess(unsetIfEmpty, modelName.optional()),
    /** Several models in one process (a multi-model predictor), instead of MODEL_NAME. */
    MODEL_NAMES: modelNames,
    MODELS_DIR: text('models'),
    MODEL_SOURCE: z.preprocess(
      unsetIfEmpty,
      z.enum(['files', 'registry'], { error: 'must be files (MODELS_DIR, model-in-image) or registry (model-load)' }).default('files'),
    ),
    MODEL_VERSION: z.preprocess(unsetIfEmpty, z.string().trim().regex(/^[1-9][0-9]*$/, 'must be a registry version number such as 3').optional()),
    NATS_URL: natsServers(),
    ...natsAuthEnv,
    JETSTREAM_REPLICAS: jetStreamReplicas(),
    HTTP_PORT: optionalInteger(0, 65_535),
    HTTP_HOST: text('0.0.0.0'),
    OPS_PORT: opsPort(),
    REQUEST_TIMEOUT_MS: integer(10_000, 1),
    MAX_TIMEOUT_MS: integer(60_000, 1),
    BODY_LIMIT_BYTES: integer(8 * 1024 * 1024, 1024),
    MAX_BATCH_ROWS: integer(1024, 1, 1_000_000),
    /** Adaptive dynamic batching: rows one run may gather from requests that queued during the last (1: off); per model. */
    DYNAMIC_BATCH_ROWS: perModelInteger(1, 1, 1_000_000),
    /**
     * As many as one gateway's per-model bulkhead (MODEL_MAX_IN_FLIGHT) lets through, so a lone
     * replica behind one gateway is never the first to refuse; the cap guards against several gateways.
     */
    MAX_IN_FLIGHT: integer(256, 1, 1_000_000),
    FAULT_DELAY_MS: integer(0, 0, 3_600_000),
    FAULT_BUSY_MS: integer(0, 0, 60_000),
    FAULT_ERROR_PERCENT: integer(0, 0, 100),
    /** Clients must send one of these keys (comma-separated), or of the lines of API_KEYS_FILE; none: open. */
    API_KEYS: text(''),
    API_KEYS_FILE: text(''),
    LOG_LEVEL: logLevel(),
    ...predictionLogEnv,
  })
  .refine((env) => env.MODEL_NAME !== undefined || env.MODEL_NAMES !== undefined, {
    path: ['MODEL_NAME'],
    message: 'is required: the name of the model to serve, e.g. iris-mlp (or MODEL_NAMES=iris-mlp,iris-softmax for several)',
  })
  .refine((env) => env.MODEL_NAME === undefined || env.MODEL_NAMES === undefined, {
    path: ['MODEL_NAMES'],
    message: 'set MODEL_NAME (one model) or MODEL_NAMES (several), not both',
  })
  .refine((env) => env.MODEL_SOURCE === 'files' || (env.MODEL_NAMES ?? []).length <= 1, {
    path: ['MODEL_NAMES'],
    message: 'several models are served from MODELS_DIR only (MODEL_SOURCE=files); model-load (registry) serves one model per process',
  })
  .refine((env) => Object.keys(env.DYNAMIC_BATCH_ROWS.byModel).every((name) => [env.MODEL_NAME, ...(env.MODEL_NAMES ?? [])].includes(name)), {
    path: ['DYNAMIC_BATCH_ROWS'],
    message: 'names a model this predictor does not serve (MODEL_NAME / MODEL_NAMES)',
  })
  .refine((env) => env.MODEL_VERSION === undefined || env.MODEL_SOURCE === 'registry', {
    path: ['MODEL_VERSION'],
    message: 'needs MODEL_SOURCE=registry (a model under MODELS_DIR has the version of its manifest)',
  })
  .refine((env) => env.REQUEST_TIMEOUT_MS <= env.MAX_TIMEOUT_MS, {
    path: ['REQUEST_TIMEOUT_MS'],
    message: 'must not be larger than MAX_TIMEOUT_MS',
  });

export interface PredictorConfig {
  /**
   * The models this process serves (MODEL_NAME, or MODEL_NAMES for a multi-model predictor):
   * each has its own subjects, queue group, micro service (discovery entry with its metadata)
   * and batching setting; they share the process, its NATS connection and its event loop.
   */
  models: string[];
  /** Absolute; `<modelsDir>/<model>/{manifest.json,model.onnx}`. */
  modelsDir: string;
  /**
   * files: the model under MODELS_DIR (model-in-image); registry: the serving version fetched
   * from the registry at start, and every later release swapped in place (model-load).
   */
  modelSource: 'files' | 'registry';
  /**
   * With the registry and one model: serve exactly this version and do not follow releases — a canary or a
   * pinned version. It answers only requests routed to its version (`msp.infer.<model>.<v>`),
   * never the model's unversioned subject, so it takes only the traffic the gateway sends it.
   */
  modelVersion?: string;
  natsServers: string[];
  /** Replicas of the streams and buckets it creates (JETSTREAM_REPLICAS). */
  jetStreamReplicas: number;
  /** NATS_USER / NATS_PASSWORD; anonymous when unset. */
  natsCredentials?: NatsCredentials | undefined;
  /** Set when the process also serves the OIP v2 REST routes itself (web-single). */
  http?: { port: number; host: string; bodyLimitBytes: number };
  /** Deadline of a request that carries none (NATS `Msp-Deadline`, HTTP `x-timeout-ms`). */
  requestTimeoutMs: number;
  /** The longest deadline an HTTP client may ask for. */
  maxTimeoutMs: number;
  maxBatchRows: number;
  /**
   * Adaptive dynamic batching (DYNAMIC_BATCH_ROWS), by model: requests arriving while the model
   * runs are run together afterwards, up to this many rows; 1 = off.
   */
  dynamicBatchRows: Record<string, number>;
  /** Set when the ops server (probes, /metrics) listens on this port. */
  opsPort?: number;
  /** Requests served over NATS at once; beyond it a fast 429 (load shedding at the replica). */
  maxInFlight: number;
  /** Artificial delay per request, to make a predictor slow on purpose (tests, demos). */
  faultDelayMs: number;
  /** CPU spent per request on purpose, as a heavier model would (load and shedding benchmarks). */
  faultBusyMs: number;
  /** This share (%) of requests fails with a 500 on purpose, as a broken model would (a bad candidate in a rollout). */
  faultErrorPercent: number;
  /** Keys one of which every HTTP request (but health and metrics) must carry; empty: open. */
  apiKeys: string[];
  logLevel: LogLevel;
  /** Every prediction to the prediction log (PREDICTION_LOG*). */
  predictionLog: PredictionLogSettings;
}

/** Reads and validates the environment; the one place of the predictor that reads it. */
export function loadPredictorConfig(env: Record<string, string | undefined>, cwd: string = process.cwd()): PredictorConfig {
  const vars = parseEnv('predictor', PredictorEnvSchema, env);
  const models = vars.MODEL_NAMES ?? [vars.MODEL_NAME!];
  const batching = vars.DYNAMIC_BATCH_ROWS;
  return {
    models,
    modelsDir: resolve(cwd, vars.MODELS_DIR),
    modelSource: vars.MODEL_SOURCE,
    ...(vars.MODEL_VERSION === undefined ? {} : { modelVersion: vars.MODEL_VERSION }),
    natsServers: vars.NATS_URL,
    jetStreamReplicas: vars.JETSTREAM_REPLICAS,
    natsCredentials: natsCredentialsOf(vars),
    ...(vars.HTTP_PORT === undefined
      ? {}
      : { http: { port: vars.HTTP_PORT, host: vars.HTTP_HOST, bodyLimitBytes: vars.BODY_LIMIT_BYTES } }),
    requestTimeoutMs: vars.REQUEST_TIMEOUT_MS,
    maxTimeoutMs: vars.MAX_TIMEOUT_MS,
    maxBatchRows: vars.MAX_BATCH_ROWS,
    dynamicBatchRows: Object.fromEntries(models.map((model) => [model, batching.byModel[model] ?? batching.all])),
    ...(vars.OPS_PORT === undefined ? {} : { opsPort: vars.OPS_PORT }),
    maxInFlight: vars.MAX_IN_FLIGHT,
    faultDelayMs: vars.FAULT_DELAY_MS,
    faultBusyMs: vars.FAULT_BUSY_MS,
    faultErrorPercent: vars.FAULT_ERROR_PERCENT,
    apiKeys: loadApiKeys({ API_KEYS: vars.API_KEYS, API_KEYS_FILE: vars.API_KEYS_FILE || undefined }),
    logLevel: vars.LOG_LEVEL,
    predictionLog: predictionLogSettings(vars),
  };
}

/** How logs, NATS and traces name this process: `predictor:iris-mlp`, `predictor:iris-mlp+iris-softmax`. */
export function predictorName(config: Pick<PredictorConfig, 'models'>): string {
  return `predictor:${config.models.join('+')}`;
}
