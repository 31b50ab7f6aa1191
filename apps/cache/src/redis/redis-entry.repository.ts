import { Inject, Injectable } from '@nestjs/common';
import { isRedisReady, REDIS, type Redis } from '@msp/redis';

/**
 * Redis behind the prediction and data caches. While the client is not connected it refuses at
 * once (`available` false) rather than letting commands wait in ioredis's offline queue: a
 * cache that is slow to answer would slow every request it is meant to speed up.
 */
@Injectable()
export class RedisEntryRepository {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  get available(): boolean {
    return isRedisReady(this.redis);
  }

  get(key: string): Promise<string | null> {
    return this.redis.get(key);
  }

  /**
   * `get`, but null (not there, as far as the caller can tell) after `timeoutMs` or on an error:
   * for a cache that has a slower source of truth behind it, a hung Redis is a miss.
   */
  async getWithin(key: string, timeoutMs: number): Promise<string | null> {
    if (!this.available) return null;
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<null>((resolve) => (timer = setTimeout(() => resolve(null), timeoutMs)));
    try {
      return await Promise.race([this.redis.get(key).catch(() => null), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.redis.set(key, value, 'EX', ttlSeconds);
  }
}
