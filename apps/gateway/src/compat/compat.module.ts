import { Module } from '@nestjs/common';
import { AsyncJobsModule } from '../async/async-jobs.module.js';
import { CompatController } from './compat.controller.js';

/** The seeds' sample API under /compat/<model>/ (INFERENCE_BACKEND is global; async jobs from AsyncJobsModule). */
@Module({ imports: [AsyncJobsModule], controllers: [CompatController] })
export class CompatModule {}
