import { Module } from '@nestjs/common';
import { GATEWAY_CONFIG } from '../config/config.module.js';
import type { GatewayConfig } from '../config/gateway-config.schema.js';
import { ParametersModule } from '../parameters/parameters.module.js';
import { AbService } from './ab.service.js';
import { ExperimentsController } from './experiments.controller.js';
import { loadExperiments } from './experiments.loader.js';
import { EXPERIMENTS, ShadowService } from './shadow.service.js';

/**
 * Experiments as data (EXPERIMENTS_FILE, read once at start; a bad file stops the gateway):
 * shadow AB mirrors, online AB splits, and GET /v1/experiments[/:id]. Needs GATEWAY_CONFIG, NatsBus and PredictionLog (global).
 */
@Module({
  imports: [ParametersModule],
  controllers: [ExperimentsController],
  providers: [{ provide: EXPERIMENTS, inject: [GATEWAY_CONFIG], useFactory: (config: GatewayConfig) => loadExperiments(config.experimentsFile) }, ShadowService, AbService],
  exports: [ShadowService, AbService],
})
export class ExperimentsModule {}
