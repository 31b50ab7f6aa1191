import { Module } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { ItemStore } from '@msp/contracts';
import { NATS_CONNECTION, openKvBucket } from '@msp/messaging';
import { RedisEntryRepository } from '../redis/redis-entry.repository.js';
import { ItemCacheController } from './item-cache.controller.js';
import { ItemCacheService } from './item-cache.service.js';
import { ITEM_BUCKET, ItemStoreRepository } from './item-store.repository.js';

/** Data cache: items by id over NATS, from Redis or the JetStream KV bucket. Needs REDIS and NATS (global). */
@Module({
  controllers: [ItemCacheController],
  providers: [
    {
      provide: ITEM_BUCKET,
      inject: [NATS_CONNECTION],
      // Created when missing, so the cache may start before the seeder: ids are then 404s.
      useFactory: (nc: NatsConnection) => openKvBucket(nc, ItemStore.bucket, { history: ItemStore.history }),
    },
    ItemStoreRepository,
    RedisEntryRepository,
    ItemCacheService,
  ],
})
export class ItemCacheModule {}
