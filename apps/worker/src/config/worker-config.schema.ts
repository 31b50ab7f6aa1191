import { z } from 'zod';
import { DEFAULT_JOBS_NAMESPACE, isJobsNamespace } from '@msp/contracts';
import { integer, logLevel, jetStreamReplicas, natsServers, opsPort, parseEnv, text, type LogLevel, predictionLogEnv, predictionLogSettings, type PredictionLogSettings, redisEnv, redisUrlOf, natsAuthEnv, natsCredentialsOf, type NatsCredentials } from '@msp/config';

/** The worker's environment (asynchronous pattern): every variable, its default, and what is valid. */
export const WorkerEnvSchema = z
  .object({
    NATS_URL: natsServers(),
    ...natsAuthEnv,
    JETSTREAM_REPLICAS: jetStreamReplicas(),
    ...redisEnv(),
    JOBS_NAMESPACE: text(DEFAULT_JOBS_NAMESPACE).refine(isJobsNamespace, 'expected lower-case letters, digits and dashes'),
    WORKER_CONCURRENCY: integer(4, 1, 1_000),
    ACK_WAIT_MS: integer(30_000, 1_000),
    MAX_DELIVER: integer(5, 1, 100),
    JOB_TIMEOUT_MS: integer(10_000, 1),
    RETRY_BACKOFF_MS: integer(1_000, 0, 600_000),
    JOB_TTL_S: integer(86_400, 1),
    SHUTDOWN_GRACE_MS: integer(10_000, 0),
    OPS_PORT: opsPort(),
    LOG_LEVEL: logLevel(),
    ...predictionLogEnv,
  });

export interface WorkerConfig {
  natsServers: string[];
  /** Replicas of the streams and buckets it creates (JETSTREAM_REPLICAS). */
  jetStreamReplicas: number;
  /** NATS_USER / NATS_PASSWORD; anonymous when unset. */
  natsCredentials?: NatsCredentials | undefined;
  redisUrl: string;
  /** Derives the stream, consumer, subjects and Redis keys (shared with the gateway). */
  jobsNamespace: string;
  /** Jobs this worker runs at once. */
  concurrency: number;
  /** A delivered job without an ack or in-progress signal for this long goes to another worker. */
  ackWaitMs: number;
  /** Deliveries of one job at most; then it is failed and dead-lettered. */
  maxDeliver: number;
  /** The deadline of one attempt's call to the predictor. */
  jobTimeoutMs: number;
  /** The first retry's delay; it doubles per attempt (at most 60 s). */
  retryBackoffMs: number;
  /** How long job state and results stay in Redis after their last change. */
  jobTtlSeconds: number;
  /** On SIGTERM, how long jobs in flight may take to finish before the worker exits anyway. */
  shutdownGraceMs: number;
  /** Set when the ops server (probes, /metrics) listens on this port. */
  opsPort?: number;
  logLevel: LogLevel;
  /** Every prediction to the prediction log (PREDICTION_LOG*). */
  predictionLog: PredictionLogSettings;
}

/** Reads the worker's settings once at boot; every bad variable is listed in one ConfigError. */
export function loadWorkerConfig(env: Record<string, string | undefined> = process.env): WorkerConfig {
  const e = parseEnv('worker', WorkerEnvSchema, env);
  return {
    natsServers: e.NATS_URL,
    jetStreamReplicas: e.JETSTREAM_REPLICAS,
    natsCredentials: natsCredentialsOf(e),
    redisUrl: redisUrlOf(e),
    jobsNamespace: e.JOBS_NAMESPACE,
    concurrency: e.WORKER_CONCURRENCY,
    ackWaitMs: e.ACK_WAIT_MS,
    maxDeliver: e.MAX_DELIVER,
    jobTimeoutMs: e.JOB_TIMEOUT_MS,
    retryBackoffMs: e.RETRY_BACKOFF_MS,
    jobTtlSeconds: e.JOB_TTL_S,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    ...(e.OPS_PORT === undefined ? {} : { opsPort: e.OPS_PORT }),
    logLevel: e.LOG_LEVEL,
    predictionLog: predictionLogSettings(e),
  };
}
