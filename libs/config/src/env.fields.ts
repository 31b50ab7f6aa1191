import { z } from 'zod';

/** The building blocks of every app's environment schema, so all apps read env the same way. */

export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** An empty variable (`PORT=` in an env file) means "not set", so the default applies. */
export const unsetIfEmpty = (value: unknown): unknown =>
  typeof value === 'string' && value.trim() === '' ? undefined : value;

/** A whole number written in decimal digits only ("1e3", "0x10" and "1.5" are refused). */
export const wholeNumber = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z
    .string()
    .trim()
    .regex(/^\d{1,15}$/, 'expected a whole number')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max));

export const integer = (fallback: number, min: number, max?: number) =>
  z.preprocess(unsetIfEmpty, wholeNumber(min, max).default(fallback));

export const optionalInteger = (min: number, max?: number) => z.preprocess(unsetIfEmpty, wholeNumber(min, max).optional());

/** OPS_PORT: the operations HTTP port (probes, metrics) of a service without HTTP; unset = off. */
export const opsPort = () => optionalInteger(0, 65_535);

export const text = (fallback: string) => z.preprocess(unsetIfEmpty, z.string().trim().default(fallback));

/** `nats://host:port`, `tls://…`, `ws(s)://…` or a bare `host:port`; user:password@ allowed. */
const NATS_SERVER = /^((nats|tls|ws|wss):\/\/)?[^\s/,]+$/;

/** NATS_URL: one server or a comma-separated list. */
export const natsServers = (fallback = 'nats://127.0.0.1:4222') =>
  z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .default(fallback)
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
  );

/**
 * JETSTREAM_REPLICAS: copies of every stream, KV bucket and object store the app creates — 1 on
 * one NATS server, 3 on a three-node cluster (at most the cluster's size; 5 is JetStream's limit).
 */
export const jetStreamReplicas = () => integer(1, 1, 5);

/**
 * NATS_USER and NATS_PASSWORD: the service's own NATS user, when the server has users with
 * permissions (docs/deploy.md, "NATS users"); unset = anonymous. NATS_PASSWORD is a Secret's
 * value in k8s, an env file's in compose. Use with `natsCredentialsOf`.
 */
export const natsAuthEnv = {
  NATS_USER: z.preprocess(
    unsetIfEmpty,
    z.string().trim().regex(/^[a-z0-9][a-z0-9-]{0,63}$/, 'expected a NATS user name: lower-case letters, digits and dashes').optional(),
  ),
  NATS_PASSWORD: z.preprocess(unsetIfEmpty, z.string().optional()),
};

export interface NatsCredentials {
  user: string;
  password: string | undefined;
}

/** The credentials to connect with, or undefined (anonymous) when NATS_USER is unset. */
export function natsCredentialsOf(e: { NATS_USER?: string | undefined; NATS_PASSWORD?: string | undefined }): NatsCredentials | undefined {
  return e.NATS_USER === undefined ? undefined : { user: e.NATS_USER, password: e.NATS_PASSWORD };
}

/**
 * The NATS variables alone (NATS_URL, JETSTREAM_REPLICAS, NATS_USER, NATS_PASSWORD), for the
 * command-line tools that read no other schema (trainer, items seed, models CLI).
 */
export const NatsEnvSchema = z.object({ NATS_URL: natsServers(), JETSTREAM_REPLICAS: jetStreamReplicas(), ...natsAuthEnv });

export const logLevel = () =>
  z.preprocess(
    (value) => (typeof unsetIfEmpty(value) === 'string' ? String(value).trim().toLowerCase() : undefined),
    z.enum(LOG_LEVELS).default('info'),
  );

const onOff = (fallback: 'on' | 'off') =>
  z.preprocess(
    (value) => (typeof unsetIfEmpty(value) === 'string' ? String(value).trim().toLowerCase() : undefined),
    z.enum(['on', 'off']).default(fallback),
  );

/**
 * The prediction log's variables, the same in every app that serves predictions (gateway,
 * web-single predictor, worker, batch): on by default; inputs and outputs are logged up to
 * PREDICTION_LOG_MAX_INPUT_BYTES of JSON (a hash always); at most PREDICTION_LOG_BUFFER records
 * wait to be published, more are dropped (and counted).
 */
export const predictionLogEnv = {
  PREDICTION_LOG: onOff('on'),
  PREDICTION_LOG_MAX_INPUT_BYTES: integer(4_096, 0, 1_000_000),
  PREDICTION_LOG_BUFFER: integer(10_000, 1, 10_000_000),
};

export interface PredictionLogSettings {
  enabled: boolean;
  /** Inputs (and outputs) up to this many bytes of JSON are logged whole; larger ones by hash only. */
  maxDataBytes: number;
  /** Records waiting to be published at most; beyond, new ones are dropped and counted. */
  maxBuffered: number;
}

export function predictionLogSettings(e: {
  PREDICTION_LOG: 'on' | 'off';
  PREDICTION_LOG_MAX_INPUT_BYTES: number;
  PREDICTION_LOG_BUFFER: number;
}): PredictionLogSettings {
  return { enabled: e.PREDICTION_LOG === 'on', maxDataBytes: e.PREDICTION_LOG_MAX_INPUT_BYTES, maxBuffered: e.PREDICTION_LOG_BUFFER };
}

/**
 * Redis: `REDIS_URL`, and `REDIS_PASSWORD` — a Secret's value in k8s, an env file's in compose —
 * kept out of the URL so the two can come from different places. Use with `redisUrlOf`.
 */
export const redisEnv = (fallbackUrl = 'redis://127.0.0.1:6379') => ({
  REDIS_URL: text(fallbackUrl).refine((url) => URL.canParse(url) && /^rediss?:$/.test(new URL(url).protocol), 'expected redis://[user:password@]host:port[/db]'),
  REDIS_PASSWORD: z.preprocess(unsetIfEmpty, z.string().optional()),
});

/** The URL to connect with: REDIS_PASSWORD put in, unless the URL names a password of its own. */
export function redisUrlOf(e: { REDIS_URL: string; REDIS_PASSWORD?: string | undefined }): string {
  if (e.REDIS_PASSWORD === undefined) return e.REDIS_URL;
  const url = new URL(e.REDIS_URL);
  if (url.password !== '') return e.REDIS_URL;
  url.password = e.REDIS_PASSWORD;
  return url.toString();
}
