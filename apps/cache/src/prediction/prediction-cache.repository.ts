import { Inject, Injectable } from '@nestjs/common';
import { isRedisReady, REDIS, type Redis } from '@msp/redis';

/**
 * Redis behind the prediction cache. While the client is not connected it refuses at once
 * (`available` false) rather than letting commands wait in ioredis's offline queue: a cache
 * that is slow to say "miss" would slow every request it is meant to speed up.
 */
@Injectable()
export class PredictionCacheRepository {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  get available(): boolean {
    return isRedisReady(this.redis);
  }

  get(key: string): Promise<string | null> {
    return this.redis.get(key);
  }

  async set(key: string, value: string, ttlSeconds: number): Promise<void> {
    await this.redis.set(key, value, 'EX', ttlSeconds);
  }
}
