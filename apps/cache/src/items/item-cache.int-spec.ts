import 'reflect-metadata';
import type { ChildProcess } from 'node:child_process';
import type { INestMicroservice } from '@nestjs/common';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadlineIn, ItemStore, Subjects, type ItemReply, type StoredItem } from '@msp/contracts';
import { NatsBus, openKvBucket, startNatsService } from '@msp/messaging';
import { createLogger } from '@msp/telemetry';
import { AppModule } from '../app.module.js';
import { loadCacheConfig } from '../config/cache-config.schema.js';
import { freePort, startRedis } from '@msp/redis/testing';

/**
 * The data cache over the real NATS: items in the real JetStream KV bucket, a redis-server of
 * the spec's own in front (so it can be stopped): miss from KV, then hit from Redis; unknown id
 * → 404 naming it; Redis gone → the KV store still answers, quickly.
 */
const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const PREFIX = `msp:dc-spec-${process.pid}`;
const ID = `spec-${process.pid}-iris`;
const item: StoredItem = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }], label: 'setosa' };

let redis: ChildProcess;
let app: INestMicroservice;
let client: NatsConnection;
let bus: NatsBus;

const fetchItem = (itemId: string): Promise<ItemReply> =>
  bus.request<ItemReply>(Subjects.cacheItem, { item_id: itemId }, { deadline: deadlineIn(2_000), requestId: 'spec' });

beforeAll(async () => {
  const port = await freePort();
  redis = await startRedis(port);
  client = await connect({ servers: NATS_URL, name: 'item-cache-spec', timeout: 2000 });
  bus = new NatsBus(client);
  const bucket = await openKvBucket(client, ItemStore.bucket, { history: ItemStore.history });
  await bucket.put(ID, JSON.stringify(item));
  const config = loadCacheConfig({ NATS_URL, REDIS_URL: `redis://127.0.0.1:${port}`, ITEM_KEY_PREFIX: PREFIX, LOG_LEVEL: 'silent' });
  const logger = createLogger({ service: 'spec', level: 'silent' });
  app = await startNatsService(AppModule.forRoot(config, logger), logger);
}, 30_000);

afterAll(async () => {
  const bucket = await openKvBucket(client, ItemStore.bucket, { history: ItemStore.history });
  await bucket.purge(ID);
  await app?.close();
  await client?.drain();
  redis?.kill('SIGKILL');
});

describe('the data cache over NATS, JetStream KV and Redis', () => {
  it('answers an item from the KV store first (miss), then from Redis (hit)', async () => {
    expect(await fetchItem(ID)).toEqual({ item_id: ID, item, source: 'miss' });
    // Keeping the item in Redis is not awaited by the miss: wait until it is there.
    const deadline = Date.now() + 2_000;
    let reply = await fetchItem(ID);
    while (reply.source !== 'hit' && Date.now() < deadline) reply = await fetchItem(ID);
    expect(reply).toEqual({ item_id: ID, item, source: 'hit' });
  });

  it('answers 404 naming an unknown id, and 400 for a malformed one', async () => {
    await expect(fetchItem('no-such-item')).rejects.toMatchObject({ code: 404, message: expect.stringContaining("item_id 'no-such-item'") });
    await expect(fetchItem('a b')).rejects.toMatchObject({ code: 400 });
  });

  it('still answers from the KV store, within a bounded time, while Redis is down', async () => {
    redis.kill('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = performance.now();
    expect(await fetchItem(ID)).toEqual({ item_id: ID, item, source: 'miss' });
    expect(performance.now() - started).toBeLessThan(200);
  });
});
