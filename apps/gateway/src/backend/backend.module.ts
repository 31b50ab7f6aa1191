import { Global, Module } from '@nestjs/common';
import { INFERENCE_BACKEND } from '@msp/oip-server';
import { ExperimentsModule } from '../experiments/experiments.module.js';
import { GraphsModule } from '../graphs/graphs.module.js';
import { ParametersModule } from '../parameters/parameters.module.js';
import { InferenceModule } from '../inference/inference.module.js';
import { GatewayBackend } from './gateway.backend.js';

/**
 * The gateway's InferenceBackend seam: graph names to the graph engine, model names to the
 * synchronous path. Global, as INFERENCE_BACKEND, for every HTTP edge that infers (the OIP
 * routes, uploads).
 */
@Global()
@Module({
  imports: [InferenceModule, GraphsModule, ExperimentsModule, ParametersModule],
  providers: [GatewayBackend, { provide: INFERENCE_BACKEND, useExisting: GatewayBackend }],
  exports: [GatewayBackend, INFERENCE_BACKEND],
})
export class BackendModule {}
