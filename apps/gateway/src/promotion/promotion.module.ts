import { Module } from '@nestjs/common';
import { ExperimentsModule } from '../experiments/experiments.module.js';
import { ParametersModule } from '../parameters/parameters.module.js';
import { PromotionService } from './promotion.service.js';
import { RolloutsController } from './rollouts.controller.js';

/** Metric-gated promotion and rollback (rollouts in EXPERIMENTS_FILE, /v1/rollouts). Needs NatsBus and the NATS connection (global). */
@Module({
  imports: [ExperimentsModule, ParametersModule],
  controllers: [RolloutsController],
  providers: [PromotionService],
})
export class PromotionModule {}
