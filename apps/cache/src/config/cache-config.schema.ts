import { z } from 'zod';
import { integer, logLevel, jetStreamReplicas, natsServers, opsPort, parseEnv, text, type LogLevel, redisEnv, redisUrlOf, natsAuthEnv, natsCredentialsOf, type NatsCredentials } from '@msp/config';

/** The cache service's environment: every variable, its default, and what is valid. */
export const CacheEnvSchema = z.object({
  NATS_URL: natsServers(),
  ...natsAuthEnv,
  JETSTREAM_REPLICAS: jetStreamReplicas(),
  ...redisEnv(),
  REQUEST_TIMEOUT_MS: integer(10_000, 1),
  /** How long a cached prediction lives. */
  CACHE_TTL_S: integer(3_600, 1),
  /** A larger response is served but not cached, so one huge answer cannot crowd out thousands. */
  CACHE_MAX_ENTRY_BYTES: integer(64 * 1024, 64),
  /** Prefix of every key, so one Redis can hold more than one deployment's cache. */
  CACHE_KEY_PREFIX: text('msp:pc'),
  /** How long a fetched item (data cache) stays in Redis. */
  ITEM_TTL_S: integer(600, 1),
  /** Prefix of every data-cache key. */
  ITEM_KEY_PREFIX: text('msp:dc'),
  /** The longest a Redis read of an item may take before the KV store answers instead. */
  ITEM_REDIS_TIMEOUT_MS: integer(50, 1),
  OPS_PORT: opsPort(),
  LOG_LEVEL: logLevel(),
});

export interface CacheConfig {
  natsServers: string[];
  /** Replicas of the streams and buckets it creates (JETSTREAM_REPLICAS). */
  jetStreamReplicas: number;
  /** NATS_USER / NATS_PASSWORD; anonymous when unset. */
  natsCredentials?: NatsCredentials | undefined;
  redisUrl: string;
  /** Deadline of a request that carries none (NATS `Msp-Deadline`). */
  requestTimeoutMs: number;
  ttlSeconds: number;
  maxEntryBytes: number;
  keyPrefix: string;
  itemTtlSeconds: number;
  itemKeyPrefix: string;
  itemRedisTimeoutMs: number;
  /** Set when the ops server (probes, /metrics) listens on this port. */
  opsPort?: number;
  logLevel: LogLevel;
}

/** Reads and validates the environment; the one place of the cache app that reads it. */
export function loadCacheConfig(env: Record<string, string | undefined>): CacheConfig {
  const vars = parseEnv('cache', CacheEnvSchema, env);
  return {
    natsServers: vars.NATS_URL,
    jetStreamReplicas: vars.JETSTREAM_REPLICAS,
    natsCredentials: natsCredentialsOf(vars),
    redisUrl: redisUrlOf(vars),
    requestTimeoutMs: vars.REQUEST_TIMEOUT_MS,
    ttlSeconds: vars.CACHE_TTL_S,
    maxEntryBytes: vars.CACHE_MAX_ENTRY_BYTES,
    keyPrefix: vars.CACHE_KEY_PREFIX,
    itemTtlSeconds: vars.ITEM_TTL_S,
    itemKeyPrefix: vars.ITEM_KEY_PREFIX,
    itemRedisTimeoutMs: vars.ITEM_REDIS_TIMEOUT_MS,
    ...(vars.OPS_PORT === undefined ? {} : { opsPort: vars.OPS_PORT }),
    logLevel: vars.LOG_LEVEL,
  };
}
