import { QueueGroups, ServiceNames, Subjects } from '@msp/contracts';
import type { NatsServiceOptions } from '@msp/messaging';
import { CACHE_VERSION } from '../app.info.js';
import type { CacheConfig } from '../config/cache-config.schema.js';

/** Names of the micro service endpoints, used as `@MessagePattern`s. */
export const CacheEndpoints = { lookup: 'lookup', store: 'store' } as const;

/**
 * The prediction cache as a NATS micro service (`$SRV.*.msp-cache`): `msp.cache.lookup` and
 * `msp.cache.store` in the queue group `msp.cache`, so replicas share one Redis and the load.
 */
export function cacheServiceOptions(config: CacheConfig): NatsServiceOptions {
  const queue = QueueGroups.cache;
  return {
    service: {
      name: ServiceNames.cache,
      version: CACHE_VERSION,
      description: 'Prediction cache: model@version + input hash → OIP response, in Redis',
      metadata: { ttl_s: String(config.ttlSeconds), max_entry_bytes: String(config.maxEntryBytes) },
    },
    endpoints: {
      // Typed arrays: the key hashes the tensors' bytes without a detour through number[].
      [CacheEndpoints.lookup]: { subject: Subjects.cacheLookup, queue, numbersAs: 'typed' },
      [CacheEndpoints.store]: { subject: Subjects.cacheStore, queue },
    },
    defaultTimeoutMs: config.requestTimeoutMs,
    shutdownGraceMs: config.requestTimeoutMs,
    readyMessage: 'serving the prediction cache over NATS',
  };
}
