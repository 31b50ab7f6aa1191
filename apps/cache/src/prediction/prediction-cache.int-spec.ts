import 'reflect-metadata';
import type { ChildProcess } from 'node:child_process';
import type { INestMicroservice } from '@nestjs/common';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deadlineIn, Headers, predictionKey, Subjects, type CacheLookupReply, type InferRequest } from '@msp/contracts';
import { NatsBus, startNatsService } from '@msp/messaging';
import { createLogger } from '@msp/telemetry';
import { AppModule } from '../app.module.js';
import { loadCacheConfig } from '../config/cache-config.schema.js';
import { freePort, startRedis } from '@msp/redis/testing';

/**
 * The cache service over the real NATS, in front of a redis-server of its own (so the spec can
 * stop it): lookup, store, hit; one key for nested/flat and JSON/binary; Redis gone → miss at once.
 */
const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const PREFIX = `msp:pc-spec-${process.pid}`;
const row: InferRequest = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }] };
const response = { model_name: 'iris-mlp', model_version: '7', outputs: [{ name: 'label', shape: [1], datatype: 'BYTES', data: ['setosa'] }] };

let redis: ChildProcess;
let app: INestMicroservice;
let client: NatsConnection;
let bus: NatsBus;

const headersFor = (version: string) => ({ [Headers.model]: 'iris-mlp', [Headers.modelVersion]: version });

function lookup(request: InferRequest, version = '7', json = false): Promise<CacheLookupReply> {
  const options = { deadline: deadlineIn(2_000), requestId: 'spec', headers: headersFor(version) };
  return json ? bus.request(Subjects.cacheLookup, request, options) : bus.requestAbout(Subjects.cacheLookup, request, options);
}

beforeAll(async () => {
  const port = await freePort();
  redis = await startRedis(port);
  const config = loadCacheConfig({ NATS_URL, REDIS_URL: `redis://127.0.0.1:${port}`, CACHE_KEY_PREFIX: PREFIX, LOG_LEVEL: 'silent' });
  const logger = createLogger({ service: 'spec', level: 'silent' });
  app = await startNatsService(AppModule.forRoot(config, logger), logger);
  client = await connect({ servers: NATS_URL, name: 'cache-spec', timeout: 2000 });
  bus = new NatsBus(client);
}, 30_000);

afterAll(async () => {
  await app?.close();
  await client?.drain();
  redis?.kill('SIGKILL');
});

describe('the prediction cache over NATS and Redis', () => {
  it('misses with a key, stores, then hits with the stored response', async () => {
    const miss = await lookup(row);
    expect(miss).toEqual({ hit: false, key: expect.stringMatching(/^iris-mlp@7:[0-9a-f]{64}$/) });
    if (miss.hit) throw new Error('expected a miss');
    const stored = await bus.request<{ stored: boolean }>(Subjects.cacheStore, { key: miss.key, response }, { deadline: deadlineIn(2_000), requestId: 'spec' });
    expect(stored).toEqual({ stored: true });
    expect(await lookup(row)).toEqual({ hit: true, response });
  });

  it('finds the same entry for nested data in a JSON body, and none for another version', async () => {
    const nested = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [[5.1, 3.5, 1.4, 0.2]] }] } as unknown as InferRequest;
    expect(await lookup(nested, '7', true)).toMatchObject({ hit: true });
    expect(await lookup(row, '8')).toMatchObject({ hit: false });
  });

  it('looks up by the key alone, as the gateway asks (it hashes once for its own tier)', async () => {
    const key = predictionKey('iris-mlp', '7', row);
    expect(await bus.request(Subjects.cacheLookup, { key }, { deadline: deadlineIn(2_000), requestId: 'spec' })).toEqual({ hit: true, response });
    await expect(bus.request(Subjects.cacheLookup, { key: 'iris-mlp@7:nothex' }, { deadline: deadlineIn(2_000), requestId: 'spec' })).rejects.toMatchObject({
      code: 400,
      message: expect.stringContaining('is not a prediction key'),
    });
  });

  it('refuses a store whose key is not one of its lookups, with 400 {error}', async () => {
    await expect(
      bus.request(Subjects.cacheStore, { key: 'other:x', response }, { deadline: deadlineIn(2_000), requestId: 'spec' }),
    ).rejects.toMatchObject({ code: 400 });
  });

  it('answers miss at once while Redis is down', async () => {
    redis.kill('SIGKILL');
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = performance.now();
    expect(await lookup(row)).toMatchObject({ hit: false });
    expect(performance.now() - started).toBeLessThan(100);
  });
});
