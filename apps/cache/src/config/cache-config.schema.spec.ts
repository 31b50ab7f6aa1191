import { describe, expect, it } from 'vitest';
import { loadCacheConfig } from './cache-config.schema.js';

describe('loadCacheConfig', () => {
  it('has defaults for everything', () => {
    expect(loadCacheConfig({})).toEqual({
      natsServers: ['nats://127.0.0.1:4222'],
      jetStreamReplicas: 1,
      redisUrl: 'redis://127.0.0.1:6379',
      requestTimeoutMs: 10_000,
      ttlSeconds: 3_600,
      maxEntryBytes: 65_536,
      keyPrefix: 'msp:pc',
      itemTtlSeconds: 600,
      itemKeyPrefix: 'msp:dc',
      itemRedisTimeoutMs: 50,
      logLevel: 'info',
    });
  });

  it('lists every bad variable in one error', () => {
    expect(() => loadCacheConfig({ CACHE_TTL_S: '0', CACHE_MAX_ENTRY_BYTES: 'big' })).toThrow(
      /CACHE_TTL_S=[\s\S]*CACHE_MAX_ENTRY_BYTES=/,
    );
  });
});
