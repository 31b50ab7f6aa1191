import { Global, Module, type DynamicModule } from '@nestjs/common';
import { RESILIENCE_OPTIONS, type ResilienceOptions } from './resilience.options.js';
import { ResilienceService } from './resilience.service.js';

/** Breakers, bulkheads and failover per model, for every path that calls a predictor. */
@Global()
@Module({})
export class ResilienceModule {
  static forRoot(options: ResilienceOptions): DynamicModule {
    return {
      module: ResilienceModule,
      providers: [{ provide: RESILIENCE_OPTIONS, useValue: options }, ResilienceService],
      exports: [ResilienceService],
    };
  }
}
