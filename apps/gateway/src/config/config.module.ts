import { Global, Module, type DynamicModule } from '@nestjs/common';
import type { GatewayConfig } from './gateway-config.schema.js';

/** Injection token of the validated GatewayConfig. */
export const GATEWAY_CONFIG = Symbol.for('msp.gateway-config');

/** The configuration, loaded and validated once in main, for every module (so modules import each other statically). */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: ConfigModule,
      providers: [{ provide: GATEWAY_CONFIG, useValue: config }],
      exports: [GATEWAY_CONFIG],
    };
  }
}
