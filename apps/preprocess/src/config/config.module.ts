import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { PreprocessConfig } from './preprocess-config.schema.js';

/** Injection token of the validated PreprocessConfig. */
export const PREPROCESS_CONFIG = Symbol.for('msp.preprocess-config');

/** The configuration, loaded and validated once in main, for every module. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: PreprocessConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: PREPROCESS_CONFIG, useValue: config }],
      exports: [PREPROCESS_CONFIG],
    };
  }
}
