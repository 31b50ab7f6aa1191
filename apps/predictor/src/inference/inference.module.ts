import { Module } from '@nestjs/common';
import { ModelModule } from '../model/model.module.js';
import { InferenceHandler } from './inference.handler.js';
import { InferenceService } from './inference.service.js';

/** Inference over NATS; InferenceService is shared with the in-process HTTP backend. */
@Module({
  imports: [ModelModule],
  providers: [InferenceService, InferenceHandler],
  exports: [InferenceService],
})
export class InferenceModule {}
