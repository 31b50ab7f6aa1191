import { z } from 'zod';
import { integer, logLevel, jetStreamReplicas, natsServers, opsPort, parseEnv, text, unsetIfEmpty, type LogLevel, natsAuthEnv, natsCredentialsOf, type NatsCredentials } from '@msp/config';

const POSTGRES_URL = /^postgres(ql)?:\/\/\S+$/;

/** When a model's window raises an alert; per model in MONITOR_THRESHOLDS, the rest from the defaults. */
export const ThresholdsSchema = z
  .object({
    /** KS drift per input feature: c(α) of the two-sample test (1.36 ≈ 5 %, 1.63 ≈ 1 %, 1.95 ≈ 0.1 %). */
    driftKs: z.number().positive(),
    /**
     * ...and at least this KS statistic (an effect size): with many samples the test flags
     * differences too small to matter, e.g. a small held-out set replayed against the training split.
     */
    driftMinKs: z.number().min(0).max(1),
    /** Predicted class shares against the training split's: PSI above this (0.25 = a major shift). */
    outputPsi: z.number().positive(),
    /** Share of predictions failing with a 5xx. */
    errorRate: z.number().min(0).max(1),
    latencyP95Ms: z.number().positive(),
    /** Live accuracy below this (with enough ground truth). */
    accuracy: z.number().min(0).max(1),
  })
  .strict();
export type Thresholds = z.infer<typeof ThresholdsSchema>;

export const DEFAULT_THRESHOLDS: Thresholds = { driftKs: 1.95, driftMinKs: 0.3, outputPsi: 0.25, errorRate: 0.1, latencyP95Ms: 1_000, accuracy: 0.8 };

/** MONITOR_THRESHOLDS: JSON `{"<model>": {"errorRate": 0.05, …}, "*": {…}}`; `*` changes the defaults. */
const thresholdsJson = z.preprocess(
  (value) => {
    const text = typeof value === 'string' && value.trim() !== '' ? value : '{}';
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return Symbol('not JSON');
    }
  },
  z.record(z.string(), ThresholdsSchema.partial(), { error: 'expected JSON: {"<model>": {"errorRate": 0.05, ...}}' }),
);

/** The monitor's environment (prediction log store, prediction monitoring): every variable, its default, and what is valid. */
export const MonitorEnvSchema = z.object({
  NATS_URL: natsServers(),
  ...natsAuthEnv,
  JETSTREAM_REPLICAS: jetStreamReplicas(),
  /** PostgreSQL for deployments; unset, the log lives in an embedded PostgreSQL (PGlite) under LOG_DATA_DIR. */
  LOG_DATABASE_URL: z.preprocess(unsetIfEmpty, z.string().trim().regex(POSTGRES_URL, 'expected postgres://user@host:port/db').optional()),
  /** Where the embedded store keeps its files (`memory://` keeps nothing). */
  LOG_DATA_DIR: text('.data/prediction-log'),
  /** Records written to the store per transaction at most. */
  LOG_BATCH_SIZE: integer(200, 1, 10_000),
  REQUEST_TIMEOUT_MS: integer(10_000, 1),
  SHUTDOWN_GRACE_MS: integer(5_000, 0),
  /** Prediction monitoring: the sliding window, and the least predictions it judges. */
  MONITOR_WINDOW_MS: integer(600_000, 1_000),
  MONITOR_MAX_SAMPLES: integer(5_000, 10, 1_000_000),
  MONITOR_MIN_SAMPLES: integer(30, 1),
  MONITOR_EVALUATE_MS: integer(2_000, 100),
  /** How long a firing alert's condition must stay false before it clears (Prometheus's keep_firing_for): no flapping around a threshold. */
  MONITOR_KEEP_FIRING_MS: integer(6_000, 0),
  MONITOR_THRESHOLDS: thresholdsJson,
  OPS_PORT: opsPort(),
  LOG_LEVEL: logLevel(),
});

export interface MonitorConfig {
  natsServers: string[];
  /** Replicas of the streams and buckets it creates (JETSTREAM_REPLICAS). */
  jetStreamReplicas: number;
  /** NATS_USER / NATS_PASSWORD; anonymous when unset. */
  natsCredentials?: NatsCredentials | undefined;
  /** A PostgreSQL URL, or an embedded store directory. */
  store: { kind: 'postgres'; url: string } | { kind: 'embedded'; dataDir: string };
  batchSize: number;
  requestTimeoutMs: number;
  shutdownGraceMs: number;
  monitoring: {
    windowMs: number;
    maxSamples: number;
    minSamples: number;
    evaluateMs: number;
    keepFiringMs: number;
    thresholds: { default: Thresholds; models: Record<string, Partial<Thresholds>> };
  };
  opsPort?: number;
  logLevel: LogLevel;
}

/** Reads and validates the environment; the one place of the monitor app that reads it. */
export function loadMonitorConfig(env: Record<string, string | undefined>): MonitorConfig {
  const vars = parseEnv('monitor', MonitorEnvSchema, env);
  return {
    natsServers: vars.NATS_URL,
    jetStreamReplicas: vars.JETSTREAM_REPLICAS,
    natsCredentials: natsCredentialsOf(vars),
    store: vars.LOG_DATABASE_URL ? { kind: 'postgres', url: vars.LOG_DATABASE_URL } : { kind: 'embedded', dataDir: vars.LOG_DATA_DIR },
    batchSize: vars.LOG_BATCH_SIZE,
    requestTimeoutMs: vars.REQUEST_TIMEOUT_MS,
    shutdownGraceMs: vars.SHUTDOWN_GRACE_MS,
    monitoring: {
      windowMs: vars.MONITOR_WINDOW_MS,
      maxSamples: vars.MONITOR_MAX_SAMPLES,
      minSamples: vars.MONITOR_MIN_SAMPLES,
      evaluateMs: vars.MONITOR_EVALUATE_MS,
      keepFiringMs: vars.MONITOR_KEEP_FIRING_MS,
      thresholds: { default: { ...DEFAULT_THRESHOLDS, ...vars.MONITOR_THRESHOLDS['*'] }, models: vars.MONITOR_THRESHOLDS },
    },
    ...(vars.OPS_PORT === undefined ? {} : { opsPort: vars.OPS_PORT }),
    logLevel: vars.LOG_LEVEL,
  };
}
