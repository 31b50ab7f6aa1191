import { afterAll, describe, expect, it } from 'vitest';
import { redisEnv, redisUrlOf } from '@msp/config';
import { createLogger } from '@msp/telemetry';
import { z } from 'zod';
import { connectRedis, isRedisReady } from './redis.connection.js';
import { freePort, startRedis } from './testing/index.js';

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

describe('a Redis with a password (requirepass), as compose and k8s run it', () => {
  const password = `s3cret-${process.pid}`;
  const env = z.object(redisEnv());

  it('connects with REDIS_PASSWORD beside a URL without one; without it every command is refused', async () => {
    const port = await freePort();
    const server = await startRedis(port, ['--requirepass', password]);
    try {
      const url = `redis://127.0.0.1:${port}`;
      const authed = connectRedis({ url: redisUrlOf(env.parse({ REDIS_URL: url, REDIS_PASSWORD: password })), name: 'msp-authed' }, logger);
      await expect.poll(() => authed.ping().catch(() => 'not yet'), { timeout: 10_000 }).toBe('PONG');
      authed.disconnect();

      const anonymous = connectRedis({ url: redisUrlOf(env.parse({ REDIS_URL: url, REDIS_PASSWORD: '' })), name: 'msp-anonymous' }, logger);
      anonymous.on('error', () => undefined);
      await expect(anonymous.get('x')).rejects.toThrow(/NOAUTH/);
      anonymous.disconnect();
    } finally {
      server.kill('SIGKILL');
    }
  });

  it('keeps a password the URL names itself, and refuses a URL that is not redis://', () => {
    expect(redisUrlOf(env.parse({ REDIS_URL: 'redis://:own@redis:6379', REDIS_PASSWORD: 'other' }))).toBe('redis://:own@redis:6379');
    expect(redisUrlOf(env.parse({ REDIS_URL: 'redis://redis:6379/2', REDIS_PASSWORD: 'p@ss word' }))).toBe('redis://:p%40ss%20word@redis:6379/2');
    expect(env.safeParse({ REDIS_URL: 'http://redis:6379' }).error?.issues[0]?.message).toMatch(/redis:\/\//);
  });
});
