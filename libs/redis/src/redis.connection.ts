import { createRequire } from 'node:module';
import { Redis } from 'ioredis';
import { tracingEnabled, type Logger } from '@msp/telemetry';

export type { Redis };

export interface RedisOptions {
  /** `redis://[user:password@]host:port[/db]` */
  url: string;
  /** Shown by `CLIENT LIST`, so a connection can be traced to its service. */
  name: string;
}

/**
 * One client per process. Commands wait while it reconnects (ioredis's offline queue), but
 * never for ever: each command fails after `commandTimeout`, so no request hangs on Redis.
 */
export function connectRedis(options: RedisOptions, logger: Logger): Redis {
  // The OpenTelemetry ioredis instrumentation is a require hook and ESM imports bypass it: one
  // require of the module ESM already loaded lets it patch the shared class (Redis spans).
  if (tracingEnabled()) createRequire(import.meta.url)('ioredis');
  const client = new Redis(options.url, {
    connectionName: options.name,
    commandTimeout: 2_000,
    maxRetriesPerRequest: 2,
    retryStrategy: (attempt) => Math.min(attempt * 200, 2_000),
  });
  let wasReady = false;
  client.on('ready', () => {
    wasReady = true;
    logger.info({ redis: redactUrl(options.url) }, 'connected to Redis');
  });
  client.on('error', (error: Error) => {
    if (wasReady) logger.warn({ err: error }, 'Redis error');
  });
  client.on('end', () => logger.info('Redis connection closed'));
  return client;
}

/** Whether the client can take commands now, for readiness. */
export function isRedisReady(client: Redis): boolean {
  return client.status === 'ready';
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^@/]*)@/, '//***@');
}
