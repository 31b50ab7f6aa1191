import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { CacheConfig } from './cache-config.schema.js';

/** Injection token of the validated CacheConfig. */
export const CACHE_CONFIG = Symbol.for('msp.cache-config');

/** The configuration, loaded and validated once in main, for every module. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: CacheConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: CACHE_CONFIG, useValue: config }],
      exports: [CACHE_CONFIG],
    };
  }
}
