import type { NatsConnection } from '@nats-io/transport-node';
import { ItemStore, type StoredItem } from '@msp/contracts';
import { openKvBucket } from '@msp/messaging';

/** Writes in flight at once: enough to hide the round trip, few enough not to flood a small server. */
const CONCURRENCY = 32;

export interface SeedResult {
  written: number;
  unchanged: number;
}

/**
 * Writes items into the items bucket (JetStream KV), idempotently: an item whose stored value
 * is already the same is left alone, so re-seeding adds no revisions and costs only reads.
 *
 * The items come as a list, made before the first request: producing them (the MNIST split) is
 * seconds of synchronous work on a loaded machine, and a request whose timer started before such
 * work times out even though the server answered at once — its reply waits in the socket while
 * the expired timer runs first (the compose stack's seed failed so, beside the training trainer).
 */
export async function seedItems(nc: NatsConnection, items: readonly (readonly [string, StoredItem])[]): Promise<SeedResult> {
  const bucket = await openKvBucket(nc, ItemStore.bucket, { history: ItemStore.history });
  const result: SeedResult = { written: 0, unchanged: 0 };
  const put = async ([key, item]: readonly [string, StoredItem]): Promise<void> => {
    const value = JSON.stringify(item);
    const current = await bucket.get(key);
    if (current?.operation === 'PUT' && current.string() === value) {
      result.unchanged += 1;
      return;
    }
    await bucket.put(key, value);
    result.written += 1;
  };
  let batch: Promise<void>[] = [];
  for (const entry of items) {
    batch.push(put(entry));
    if (batch.length >= CONCURRENCY) {
      await Promise.all(batch);
      batch = [];
    }
  }
  await Promise.all(batch);
  return result;
}
