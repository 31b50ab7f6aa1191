import { Module } from '@nestjs/common';
import { NatsServiceModule } from '@msp/messaging';
import { CACHE_CONFIG } from '../config/config.module.js';
import type { CacheConfig } from '../config/cache-config.schema.js';
import { cacheServiceOptions } from './prediction-cache.endpoints.js';
import { PredictionCacheController } from './prediction-cache.controller.js';
import { PredictionCacheRepository } from './prediction-cache.repository.js';
import { PredictionCacheService } from './prediction-cache.service.js';

/** Prediction cache: lookups and stores over NATS, entries in Redis. Needs REDIS (global). */
@Module({
  imports: [
    NatsServiceModule.forRootAsync({
      inject: [CACHE_CONFIG],
      useFactory: (config: CacheConfig) => cacheServiceOptions(config),
    }),
  ],
  controllers: [PredictionCacheController],
  providers: [PredictionCacheRepository, PredictionCacheService],
})
export class PredictionCacheModule {}
