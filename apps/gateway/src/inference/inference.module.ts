import { Module, type DynamicModule } from '@nestjs/common';
import { DiscoveryModule } from '../discovery/discovery.module.js';
import { NatsBackend } from './nats.backend.js';
import { PredictorClient } from './predictor.client.js';
import { PreprocessClient } from './preprocess.client.js';

/** The InferenceBackend of the gateway: discovery plus NATS request-reply. */
@Module({})
export class InferenceModule {
  static forRoot(options: { discoveryIntervalMs: number }): DynamicModule {
    return {
      module: InferenceModule,
      imports: [DiscoveryModule.forRoot({ intervalMs: options.discoveryIntervalMs })],
      providers: [NatsBackend, PredictorClient, PreprocessClient],
      exports: [NatsBackend, PredictorClient, PreprocessClient],
    };
  }
}
