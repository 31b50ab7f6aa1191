import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { LOGGER, type Logger } from '@msp/telemetry';
import { connectRedis, type Redis, type RedisOptions } from './redis.connection.js';

/** Nest injection token of the process's ioredis client. */
export const REDIS = Symbol.for('msp.redis');

class RedisCloser implements OnApplicationShutdown {
  constructor(@Inject(REDIS) private readonly client: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.client.status === 'end') return;
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

/** One Redis connection for the whole app, closed on shutdown. Needs LOGGER. */
@Module({})
export class RedisModule {
  static forRoot(options: RedisOptions): DynamicModule {
    return {
      module: RedisModule,
      global: true,
      providers: [
        { provide: REDIS, inject: [LOGGER], useFactory: (logger: Logger) => connectRedis(options, logger) },
        RedisCloser,
      ],
      exports: [REDIS],
    };
  }
}
