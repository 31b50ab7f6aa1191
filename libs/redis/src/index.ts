export { connectRedis, isRedisReady } from './redis.connection.js';
export type { Redis, RedisOptions } from './redis.connection.js';
export { REDIS, RedisModule } from './redis.module.js';
