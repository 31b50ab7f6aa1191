import { Module } from '@nestjs/common';
import { NatsServiceModule } from '@msp/messaging';
import { PREDICTOR_CONFIG } from '../config/config.module.js';
import type { PredictorConfig } from '../config/predictor-config.schema.js';
import { ModelModule } from '../model/model.module.js';
import { ServedModels } from '../model/served-model.js';
import { inferenceServiceOptions } from './inference.endpoints.js';
import { ArtefactController } from './artefact.controller.js';
import { InferenceController } from './inference.controller.js';
import { InferenceService } from './inference.service.js';
import { ModelReleaseWatcher } from './model-release.watcher.js';

/** Inference over NATS; InferenceService is shared with the in-process HTTP backend. */
@Module({
  imports: [
    ModelModule,
    NatsServiceModule.forRootAsync({
      imports: [ModelModule],
      inject: [ServedModels, PREDICTOR_CONFIG],
      useFactory: (models: ServedModels, config: PredictorConfig) => inferenceServiceOptions(models, config),
    }),
  ],
  controllers: [InferenceController, ArtefactController],
  providers: [InferenceService, ModelReleaseWatcher],
  exports: [InferenceService],
})
export class InferenceModule {}
