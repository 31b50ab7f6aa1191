import { Inject, Injectable } from '@nestjs/common';
import { Subjects, type ItemReply, type ItemRequest } from '@msp/contracts';
import { NatsBus } from '@msp/messaging';
import type { InferContext } from '@msp/oip-server';
import { DATA_CACHE_OPTIONS, type DataCacheOptions } from './data-cache.options.js';

/**
 * The data cache service (apps/cache, `msp.cache.item`) over NATS. Unlike the prediction cache
 * it is not optional: without the item there is nothing to infer, so its errors are the
 * request's (404 for an unknown id, 503 with no cache service, 504 past the timeout).
 */
@Injectable()
export class ItemClient {
  constructor(
    private readonly bus: NatsBus,
    @Inject(DATA_CACHE_OPTIONS) private readonly options: DataCacheOptions,
  ) {}

  fetch(itemId: string, context: InferContext): Promise<ItemReply> {
    const body: ItemRequest = { item_id: itemId };
    const deadline = Math.min(context.deadline, Date.now() + this.options.timeoutMs);
    return this.bus.request<ItemReply>(Subjects.cacheItem, body, { deadline, requestId: context.requestId, trace: context.trace });
  }
}
