import { Module, type DynamicModule } from '@nestjs/common';
import { DISCOVERY_DEFAULTS, DISCOVERY_OPTIONS, type DiscoveryOptions } from './discovery.options.js';
import { ModelRegistry } from './model-registry.service.js';
import { PredictorDiscoveryClient } from './predictor-discovery.client.js';

/** Which models exist, learnt from the predictors over NATS. Needs the global MessagingModule and LOGGER. */
@Module({})
export class DiscoveryModule {
  static forRoot(options: Pick<DiscoveryOptions, 'intervalMs'> & Partial<DiscoveryOptions>): DynamicModule {
    return {
      module: DiscoveryModule,
      providers: [
        { provide: DISCOVERY_OPTIONS, useValue: { ...DISCOVERY_DEFAULTS, ...options } satisfies DiscoveryOptions },
        PredictorDiscoveryClient,
        ModelRegistry,
      ],
      exports: [ModelRegistry],
    };
  }
}
