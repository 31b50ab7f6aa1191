import { Module } from '@nestjs/common';
import { DiscoveryModule } from '../discovery/discovery.module.js';
import { ReplicasModule } from '../replicas/replicas.module.js';
import { RoutingModule } from '../routing/routing.module.js';
import { NatsBackend } from './nats.backend.js';
import { PredictorClient } from './predictor.client.js';
import { PreprocessClient } from './preprocess.client.js';

/** The synchronous path of the gateway: discovery plus NATS request-reply to predictors and preprocess. */
@Module({
  imports: [DiscoveryModule, ReplicasModule, RoutingModule],
  providers: [NatsBackend, PredictorClient, PreprocessClient],
  exports: [NatsBackend, PredictorClient, PreprocessClient],
})
export class InferenceModule {}
