import { Module } from '@nestjs/common';
import { RedisEntryRepository } from '../redis/redis-entry.repository.js';
import { PredictionCacheController } from './prediction-cache.controller.js';
import { PredictionCacheService } from './prediction-cache.service.js';

/** Prediction cache: lookups and stores over NATS, entries in Redis. Needs REDIS (global). */
@Module({
  controllers: [PredictionCacheController],
  providers: [RedisEntryRepository, PredictionCacheService],
})
export class PredictionCacheModule {}
