import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { WorkerConfig } from './worker-config.schema.js';

/** Injection token of the validated WorkerConfig. */
export const WORKER_CONFIG = Symbol.for('msp.worker-config');

/** The configuration, loaded and validated once in main, for every module. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: WorkerConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: WORKER_CONFIG, useValue: config }],
      exports: [WORKER_CONFIG],
    };
  }
}
