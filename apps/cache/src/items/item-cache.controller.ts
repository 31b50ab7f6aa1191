import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import type { ItemReply } from '@msp/contracts';
import { NatsRequestContext } from '@msp/messaging';
import { inContext } from '@msp/telemetry';
import { CacheEndpoints } from '../cache.endpoints.js';
import { ItemCacheService } from './item-cache.service.js';

/** The data cache over NATS (`msp.cache.item`, see cache.endpoints.ts). */
@Controller()
export class ItemCacheController {
  constructor(private readonly items: ItemCacheService) {}

  @MessagePattern(CacheEndpoints.item)
  item(@Payload() body: unknown, @Ctx() context: NatsRequestContext): Promise<ItemReply> {
    return inContext(context.trace, () => this.items.fetch(body));
  }
}
