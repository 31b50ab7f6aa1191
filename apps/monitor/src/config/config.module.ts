import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { MonitorConfig } from './monitor-config.schema.js';

/** Injection token of the validated MonitorConfig. */
export const MONITOR_CONFIG = Symbol.for('msp.monitor-config');

/** The configuration, loaded and validated once in main, for every module. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: MonitorConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: MONITOR_CONFIG, useValue: config }],
      exports: [MONITOR_CONFIG],
    };
  }
}
