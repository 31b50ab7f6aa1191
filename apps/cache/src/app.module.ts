import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule } from '@msp/config';
import { MessagingModule, NatsServiceModule } from '@msp/messaging';
import { RedisModule } from '@msp/redis';
import { LoggerModule, TelemetryModule, type Logger } from '@msp/telemetry';
import type { CacheConfig } from './config/cache-config.schema.js';
import { cacheServiceOptions } from './cache.endpoints.js';
import { CACHE_CONFIG } from './config/config.module.js';
import { cacheTelemetry, type CacheTelemetry } from './health/cache.readiness.js';
import { ItemCacheModule } from './items/item-cache.module.js';
import { PredictionCacheModule } from './prediction/prediction-cache.module.js';

/** One cache process (prediction-cache and data-cache patterns): NATS in, Redis (and JetStream KV) behind, no HTTP. */
@Module({})
export class AppModule {
  static forRoot(config: CacheConfig, logger: Logger, telemetry: CacheTelemetry = cacheTelemetry()): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(CACHE_CONFIG, config),
        LoggerModule.forRoot(logger),
        TelemetryModule.forRoot(telemetry),
        MessagingModule.forRoot({ servers: config.natsServers, jetStreamReplicas: config.jetStreamReplicas, credentials: config.natsCredentials, name: 'cache' }),
        RedisModule.forRoot({ url: config.redisUrl, name: 'msp-cache' }),
        NatsServiceModule.forRootAsync({
          inject: [CACHE_CONFIG],
          useFactory: (cacheConfig: CacheConfig) => cacheServiceOptions(cacheConfig),
        }),
        PredictionCacheModule,
        ItemCacheModule,
      ],
    };
  }
}
