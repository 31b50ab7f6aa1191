import { z } from 'zod';

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** An empty variable (`PORT=` in an env file) means "not set", so the default applies. */
const unsetIfEmpty = (value: unknown): unknown => (typeof value === 'string' && value.trim() === '' ? undefined : value);

const integer = (fallback: number, min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.preprocess(unsetIfEmpty, z.coerce.number().int().min(min).max(max).default(fallback));

/** `nats://host:port`, `tls://…`, `ws(s)://…` or a bare `host:port`; user:password@ allowed. */
const NATS_SERVER = /^((nats|tls|ws|wss):\/\/)?[^\s/,]+$/;

/** The gateway's environment: every variable, its default, and what is valid. */
export const GatewayEnvSchema = z
  .object({
    PORT: integer(8080, 0, 65_535),
    HOST: z.preprocess(unsetIfEmpty, z.string().default('0.0.0.0')),
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
    REQUEST_TIMEOUT_MS: integer(10_000, 1),
    MAX_TIMEOUT_MS: integer(60_000, 1),
    BODY_LIMIT_BYTES: integer(8 * 1024 * 1024, 1024),
    DISCOVERY_INTERVAL_MS: integer(2_000, 100),
    LOG_LEVEL: z.preprocess(
      (value) => (typeof unsetIfEmpty(value) === 'string' ? String(value).trim().toLowerCase() : undefined),
      z.enum(LOG_LEVELS).default('info'),
    ),
  })
  .refine((env) => env.REQUEST_TIMEOUT_MS <= env.MAX_TIMEOUT_MS, {
    path: ['REQUEST_TIMEOUT_MS'],
    message: 'must not be larger than MAX_TIMEOUT_MS',
  });

export interface GatewayConfig {
  port: number;
  host: string;
  natsServers: string[];
  requestTimeoutMs: number;
  maxTimeoutMs: number;
  bodyLimitBytes: number;
  discoveryIntervalMs: number;
  logLevel: (typeof LOG_LEVELS)[number];
}

export class GatewayConfigError extends Error {
  override readonly name = 'GatewayConfigError';
}

/** Reads the gateway's settings once at boot; every bad variable is listed in one error. */
export function loadGatewayConfig(env: Record<string, string | undefined> = process.env): GatewayConfig {
  const parsed = GatewayEnvSchema.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((issue) => {
      const name = issue.path[0] === undefined ? '(environment)' : String(issue.path[0]);
      return `  ${name}=${JSON.stringify(env[name] ?? null)}: ${issue.message}`;
    });
    throw new GatewayConfigError(`invalid gateway configuration:\n${lines.join('\n')}`);
  }
  const e = parsed.data;
  return {
    port: e.PORT,
    host: e.HOST,
    natsServers: e.NATS_URL,
    requestTimeoutMs: e.REQUEST_TIMEOUT_MS,
    maxTimeoutMs: e.MAX_TIMEOUT_MS,
    bodyLimitBytes: e.BODY_LIMIT_BYTES,
    discoveryIntervalMs: e.DISCOVERY_INTERVAL_MS,
    logLevel: e.LOG_LEVEL,
  };
}
