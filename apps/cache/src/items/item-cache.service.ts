import { Inject, Injectable } from '@nestjs/common';
import { DataCacheOutcomes, isItemId, MspError, type ItemReply, type StoredItem } from '@msp/contracts';
import { LOGGER, type Logger } from '@msp/telemetry';
import { CACHE_CONFIG } from '../config/config.module.js';
import type { CacheConfig } from '../config/cache-config.schema.js';
import { RedisEntryRepository } from '../redis/redis-entry.repository.js';
import { ItemStoreRepository } from './item-store.repository.js';

/**
 * The data cache, cache-aside: an item from Redis when it is there; else from the KV store, kept
 * in Redis for ITEM_TTL_S. Redis is only a speed-up: a slow or absent Redis costs at most
 * ITEM_REDIS_TIMEOUT_MS and the store answers. An id the store does not hold is a 404 naming it.
 */
@Injectable()
export class ItemCacheService {
  constructor(
    private readonly redis: RedisEntryRepository,
    private readonly store: ItemStoreRepository,
    @Inject(CACHE_CONFIG) private readonly config: CacheConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async fetch(body: unknown): Promise<ItemReply> {
    const itemId = (body as { item_id?: unknown } | null)?.item_id;
    if (!isItemId(itemId)) throw MspError.badRequest('an item request needs {item_id} with letters, digits, -, _ or . (at most 128)');
    const key = `${this.config.itemKeyPrefix}:${itemId}`;
    const cached = await this.redis.getWithin(key, this.config.itemRedisTimeoutMs);
    if (cached !== null) return { item_id: itemId, item: JSON.parse(cached) as StoredItem, source: DataCacheOutcomes.hit };
    const stored = await this.store.get(itemId);
    if (stored === null) throw MspError.notFound(`no item with item_id '${itemId}' in the item store`);
    if (this.redis.available) {
      this.redis.set(key, stored, this.config.itemTtlSeconds).catch((error: unknown) => {
        this.logger.warn({ err: error }, 'data cache: keeping an item in Redis failed');
      });
    }
    return { item_id: itemId, item: JSON.parse(stored) as StoredItem, source: DataCacheOutcomes.miss };
  }
}
