import { Inject, Injectable } from '@nestjs/common';
import type { KV } from '@msp/messaging';

/** Injection token of the opened items bucket (JetStream KV). */
export const ITEM_BUCKET = Symbol.for('msp.cache.item-bucket');

/** The items bucket, the data cache's source of truth: JSON values under the item id. */
@Injectable()
export class ItemStoreRepository {
  constructor(@Inject(ITEM_BUCKET) private readonly bucket: KV) {}

  /** The stored JSON, or null when the id was never written or was deleted. */
  async get(itemId: string): Promise<string | null> {
    const entry = await this.bucket.get(itemId);
    if (entry === null || entry.operation !== 'PUT') return null;
    return entry.string();
  }
}
