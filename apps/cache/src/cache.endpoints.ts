import { QueueGroups, ServiceNames, Subjects } from '@msp/contracts';
import type { NatsServiceOptions } from '@msp/messaging';
import { CACHE_VERSION } from './app.info.js';
import type { CacheConfig } from './config/cache-config.schema.js';

/** Names of the micro service endpoints, used as `@MessagePattern`s. */
export const CacheEndpoints = { lookup: 'lookup', store: 'store', item: 'item' } as const;

/**
 * The cache as one NATS micro service (`$SRV.*.msp-cache`): the prediction cache
 * (`msp.cache.lookup`, `msp.cache.store`) and the data cache (`msp.cache.item`), in the queue
 * group `msp.cache`, so replicas share one Redis and the load.
 */
export function cacheServiceOptions(config: CacheConfig): NatsServiceOptions {
  const queue = QueueGroups.cache;
  return {
    service: {
      name: ServiceNames.cache,
      version: CACHE_VERSION,
      description: 'Prediction cache (model@version + input hash → OIP response) and data cache (item id → inputs), in Redis',
      metadata: {
        ttl_s: String(config.ttlSeconds),
        max_entry_bytes: String(config.maxEntryBytes),
        item_ttl_s: String(config.itemTtlSeconds),
      },
    },
    endpoints: {
      // Typed arrays: the key hashes the tensors' bytes without a detour through number[].
      [CacheEndpoints.lookup]: { subject: Subjects.cacheLookup, queue, numbersAs: 'typed' },
      [CacheEndpoints.store]: { subject: Subjects.cacheStore, queue },
      [CacheEndpoints.item]: { subject: Subjects.cacheItem, queue },
    },
    defaultTimeoutMs: config.requestTimeoutMs,
    shutdownGraceMs: config.requestTimeoutMs,
    readyMessage: 'serving the prediction and data caches over NATS',
  };
}
