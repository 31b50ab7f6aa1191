import { Module } from '@nestjs/common';
import { InferenceModule } from '../inference/inference.module.js';
import { ModelModule } from '../model/model.module.js';
import { InProcessBackend } from './in-process.backend.js';

/** What OipHttpModule needs to serve the web-single pattern: the in-process backend. */
@Module({
  imports: [ModelModule, InferenceModule],
  providers: [InProcessBackend],
  exports: [InProcessBackend],
})
export class WebSingleModule {}
