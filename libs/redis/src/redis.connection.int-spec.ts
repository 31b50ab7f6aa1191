import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '@msp/telemetry';
import { connectRedis, isRedisReady } from './redis.connection.js';

const url = process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379';
const logger = createLogger({ service: 'redis-spec', level: 'silent' });
const client = connectRedis({ url, name: 'msp-redis-spec' }, logger);

afterAll(async () => {
  await client.quit();
});

describe('connectRedis against the real Redis', () => {
  it('connects, names itself, and round-trips a value', async () => {
    const key = `msp:spec:${process.pid}:${Date.now()}`;
    await client.set(key, 'v', 'PX', 5_000);
    expect(await client.get(key)).toBe('v');
    expect(isRedisReady(client)).toBe(true);
    expect(await client.client('GETNAME')).toBe('msp-redis-spec');
  });

  it('fails a command against an unreachable server within its timeout instead of hanging', async () => {
    const dead = connectRedis({ url: 'redis://127.0.0.1:1', name: 'msp-dead' }, logger);
    dead.on('error', () => undefined);
    const started = Date.now();
    await expect(dead.get('x')).rejects.toThrow();
    expect(Date.now() - started).toBeLessThan(5_000);
    dead.disconnect();
  });
});
