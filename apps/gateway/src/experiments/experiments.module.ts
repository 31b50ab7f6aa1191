import { Module } from '@nestjs/common';
import { GATEWAY_CONFIG } from '../config/config.module.js';
import type { GatewayConfig } from '../config/gateway-config.schema.js';
import { ParametersModule } from '../parameters/parameters.module.js';
import { AbService } from './ab.service.js';
import { ExperimentsController } from './experiments.controller.js';
import { loadDefinitions, type Definitions } from './experiments.loader.js';
import { DEFINITIONS, EXPERIMENTS, ShadowService } from './shadow.service.js';

/**
 * Experiments as data (EXPERIMENTS_FILE, read once at start; a bad file stops the gateway):
 * shadow AB mirrors, online AB splits, and GET /v1/experiments[/:id]. Needs GATEWAY_CONFIG, NatsBus and PredictionLog (global).
 */
@Module({
  imports: [ParametersModule],
  controllers: [ExperimentsController],
  providers: [
    { provide: DEFINITIONS, inject: [GATEWAY_CONFIG], useFactory: (config: GatewayConfig) => loadDefinitions(config.experimentsFile) },
    { provide: EXPERIMENTS, inject: [DEFINITIONS], useFactory: (definitions: Definitions) => definitions.experiments },
    ShadowService,
    AbService,
  ],
  exports: [DEFINITIONS, ShadowService, AbService],
})
export class ExperimentsModule {}
