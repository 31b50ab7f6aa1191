import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ItemStore, type StoredItem } from '@msp/contracts';
import { openKvBucket } from '@msp/messaging';
import { ownNatsServer, type OwnNatsServer } from '@msp/messaging/testing';
import { seedItems } from './items-seed.js';

/**
 * Integration: the data cache's items into JetStream KV, on a nats-server of this spec's own (the
 * bucket name is fixed, so a shared server's items are never touched).
 */
const storeDir = mkdtempSync(join(tmpdir(), 'items-seed-spec-'));
let server: OwnNatsServer;
let nc: NatsConnection;

const item = (value: number): StoredItem => ({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [value, 1, 2, 3] }], label: 'setosa' });
// More than one batch of concurrent writes (32), as the real seed.
const items = Array.from({ length: 70 }, (_, index) => [`iris-${index}`, item(index)] as const);

beforeAll(async () => {
  server = await ownNatsServer({ storeDir });
  await server.start();
  nc = await connect({ servers: server.url });
}, 30_000);

afterAll(async () => {
  await nc?.close();
  await server?.stop();
  rmSync(storeDir, { recursive: true, force: true });
});

describe('seedItems', () => {
  it('writes every item once, then only what changed', async () => {
    expect(await seedItems(nc, items)).toEqual({ written: 70, unchanged: 0 });
    const bucket = await openKvBucket(nc, ItemStore.bucket, { history: ItemStore.history });
    expect(JSON.parse((await bucket.get('iris-69'))!.string())).toEqual(item(69));

    const changed = items.map(([key, value], index) => (index === 5 ? ([key, item(-1)] as const) : ([key, value] as const)));
    expect(await seedItems(nc, changed)).toEqual({ written: 1, unchanged: 69 });
    expect(JSON.parse((await bucket.get('iris-5'))!.string())).toEqual(item(-1));
    expect((await bucket.status()).values).toBe(71);
  });
});
