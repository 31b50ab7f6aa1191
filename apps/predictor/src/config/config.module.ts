import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { PredictorConfig } from './predictor-config.schema.js';

/** Injection token of the validated PredictorConfig. */
export const PREDICTOR_CONFIG = Symbol.for('msp.predictor-config');

/** The configuration, loaded and validated once in main, for every module. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: PredictorConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: PREDICTOR_CONFIG, useValue: config }],
      exports: [PREDICTOR_CONFIG],
    };
  }
}
