import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { ItemReply } from '@msp/contracts';
import { CacheEndpoints } from '../cache.endpoints.js';
import { ItemCacheService } from './item-cache.service.js';

/** The data cache over NATS (`msp.cache.item`, see cache.endpoints.ts). */
@Controller()
export class ItemCacheController {
  constructor(private readonly items: ItemCacheService) {}

  @MessagePattern(CacheEndpoints.item)
  item(@Payload() body: unknown): Promise<ItemReply> {
    return this.items.fetch(body);
  }
}
