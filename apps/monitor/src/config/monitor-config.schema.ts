import { z } from 'zod';
import { integer, logLevel, natsServers, opsPort, parseEnv, text, unsetIfEmpty, type LogLevel } from '@msp/config';

const POSTGRES_URL = /^postgres(ql)?:\/\/\S+$/;

/** The monitor's environment (prediction log store, prediction monitoring): every variable, its default, and what is valid. */
export const MonitorEnvSchema = z.object({
  NATS_URL: natsServers(),
  /** PostgreSQL for deployments; unset, the log lives in an embedded PostgreSQL (PGlite) under LOG_DATA_DIR. */
  LOG_DATABASE_URL: z.preprocess(unsetIfEmpty, z.string().trim().regex(POSTGRES_URL, 'expected postgres://user@host:port/db').optional()),
  /** Where the embedded store keeps its files (`memory://` keeps nothing). */
  LOG_DATA_DIR: text('.data/prediction-log'),
  /** Records written to the store per transaction at most. */
  LOG_BATCH_SIZE: integer(200, 1, 10_000),
  REQUEST_TIMEOUT_MS: integer(10_000, 1),
  SHUTDOWN_GRACE_MS: integer(5_000, 0),
  OPS_PORT: opsPort(),
  LOG_LEVEL: logLevel(),
});

export interface MonitorConfig {
  natsServers: string[];
  /** A PostgreSQL URL, or an embedded store directory. */
  store: { kind: 'postgres'; url: string } | { kind: 'embedded'; dataDir: string };
  batchSize: number;
  requestTimeoutMs: number;
  shutdownGraceMs: number;
  opsPort?: number;
  logLevel: LogLevel;
}

/** Reads and validates the environment; the one place of the monitor app that reads it. */
export function loadMonitorConfig(env: Record<string, string | undefined>): MonitorConfig {
  const vars = parseEnv('monitor', MonitorEnvSchema, env);
  return {
    natsServers: vars.NATS_URL,
    store: vars.LOG_DATABASE_URL ? { kind: 'postgres', url: vars.LOG_DATABASE_URL } : { kind: 'embedded', dataDir: vars.LOG_DATA_DIR },
    batchSize: vars.LOG_BATCH_SIZE,
    requestTimeoutMs: vars.REQUEST_TIMEOUT_MS,
    shutdownGraceMs: vars.SHUTDOWN_GRACE_MS,
    ...(vars.OPS_PORT === undefined ? {} : { opsPort: vars.OPS_PORT }),
    logLevel: vars.LOG_LEVEL,
  };
}
