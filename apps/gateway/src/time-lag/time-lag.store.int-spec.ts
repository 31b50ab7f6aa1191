import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectRedis, type Redis } from '@msp/redis';
import { createLogger } from '@msp/telemetry';
import { TimeLagStore, timeLagKey, type TimeLagRecord } from './time-lag.store.js';

/** Against the real Redis on loopback (REDIS_URL), never a mock. */
describe('TimeLagStore', () => {
  let redis: Redis;
  let store: TimeLagStore;
  const id = `int-${process.pid}-${Date.now()}`;
  const record: TimeLagRecord = {
    id,
    model: 'g',
    status: 'pending',
    fast: { model_name: 'g', outputs: [] },
    created: Date.now(),
    ms: { fast: 1 },
  };

  beforeAll(() => {
    redis = connectRedis({ url: process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379', name: 'time-lag-int' }, createLogger({ service: 'test', level: 'silent' }));
    store = new TimeLagStore(redis);
  });

  afterAll(async () => {
    await redis.del(timeLagKey(id));
    await redis.quit();
  });

  it('stores a record with a TTL and reads it back', async () => {
    await store.save(record);
    expect(await store.get(id)).toEqual(record);
    const ttl = await redis.ttl(timeLagKey(id));
    expect(ttl).toBeGreaterThan(500);
    expect(ttl).toBeLessThanOrEqual(600);
  });

  it('answers 404 for an unknown id', async () => {
    await expect(store.get(`${id}-nope`)).rejects.toMatchObject({ code: 404 });
  });

  it('announces this replica’s updates to waiting streams, or times out', async () => {
    const signal = new AbortController().signal;
    const waiting = store.nextUpdate(id, 2000, signal);
    await store.save({ ...record, status: 'done', better: { model_name: 'g', outputs: [] } });
    expect((await waiting)?.status).toBe('done');
    expect(await store.nextUpdate(id, 20, signal)).toBeUndefined();
  });
});
