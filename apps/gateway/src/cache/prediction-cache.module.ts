import { Global, Module, type DynamicModule } from '@nestjs/common';
import { PredictionCacheClient } from './prediction-cache.client.js';
import { PREDICTION_CACHE_OPTIONS, type PredictionCacheOptions } from './prediction-cache.options.js';
import { PredictionCacheService } from './prediction-cache.service.js';

/** The prediction-cache pattern at the gateway, for every path that calls a predictor. */
@Global()
@Module({})
export class PredictionCacheModule {
  static forRoot(options: PredictionCacheOptions): DynamicModule {
    return {
      module: PredictionCacheModule,
      providers: [{ provide: PREDICTION_CACHE_OPTIONS, useValue: options }, PredictionCacheClient, PredictionCacheService],
      exports: [PredictionCacheService],
    };
  }
}
