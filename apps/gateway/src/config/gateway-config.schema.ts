import { z } from 'zod';
import { DEFAULT_JOBS_NAMESPACE, isJobsNamespace } from '@msp/contracts';
import { integer, logLevel, natsServers, parseEnv, text, type LogLevel } from '@msp/config';

/** The gateway's environment: every variable, its default, and what is valid. */
export const GatewayEnvSchema = z
  .object({
    PORT: integer(8080, 0, 65_535),
    HOST: text('0.0.0.0'),
    NATS_URL: natsServers(),
    REDIS_URL: text('redis://127.0.0.1:6379'),
    REQUEST_TIMEOUT_MS: integer(10_000, 1),
    MAX_TIMEOUT_MS: integer(60_000, 1),
    BODY_LIMIT_BYTES: integer(8 * 1024 * 1024, 1024),
    DISCOVERY_INTERVAL_MS: integer(2_000, 100),
    GRAPHS_DIR: text('graphs'),
    JOBS_NAMESPACE: text(DEFAULT_JOBS_NAMESPACE).refine(isJobsNamespace, 'expected lower-case letters, digits and dashes'),
    JOB_TTL_S: integer(86_400, 1),
    LOG_LEVEL: logLevel(),
  })
  .refine((env) => env.REQUEST_TIMEOUT_MS <= env.MAX_TIMEOUT_MS, {
    path: ['REQUEST_TIMEOUT_MS'],
    message: 'must not be larger than MAX_TIMEOUT_MS',
  });

export interface GatewayConfig {
  port: number;
  host: string;
  natsServers: string[];
  /** Job state (asynchronous) and late answers (time-lag); the synchronous path never needs it. */
  redisUrl: string;
  requestTimeoutMs: number;
  maxTimeoutMs: number;
  bodyLimitBytes: number;
  discoveryIntervalMs: number;
  /** Inference graph definitions (`*.yaml`), served as models; relative to the working directory. */
  graphsDir: string;
  /** Asynchronous jobs: the queue's namespace (stream, subjects, Redis keys) and how long job state lives. */
  jobs: { namespace: string; ttlSeconds: number };
  logLevel: LogLevel;
}

/** Reads the gateway's settings once at boot; every bad variable is listed in one ConfigError. */
export function loadGatewayConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  const e = parseEnv('gateway', GatewayEnvSchema, env);
  return {
    port: e.PORT,
    host: e.HOST,
    natsServers: e.NATS_URL,
    redisUrl: e.REDIS_URL,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    maxTimeoutMs: e.MAX_TIMEOUT_MS,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    discoveryIntervalMs: e.DISCOVERY_INTERVAL_MS,
    graphsDir: e.GRAPHS_DIR,
    jobs: { namespace: e.JOBS_NAMESPACE, ttlSeconds: e.JOB_TTL_S },
    logLevel: e.LOG_LEVEL,
  };
}
