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

export const logLevel = () =>
  z.preprocess(
    (value) => (typeof unsetIfEmpty(value) === 'string' ? String(value).trim().toLowerCase() : undefined),
    z.enum(LOG_LEVELS).default('info'),
  );
