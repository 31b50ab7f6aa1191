import { Module } from '@nestjs/common';
import { GATEWAY_CONFIG } from '../config/config.module.js';
import type { GatewayConfig } from '../config/gateway-config.schema.js';
import { DISCOVERY_DEFAULTS, DISCOVERY_OPTIONS, missesToForget, type DiscoveryOptions } from './discovery.options.js';
import { ModelRegistry } from './model-registry.service.js';
import { PredictorDiscoveryClient } from './predictor-discovery.client.js';

/** Which models exist, learnt from the predictors over NATS. Needs the global MessagingModule, LOGGER and GATEWAY_CONFIG. */
@Module({
  providers: [
    {
      provide: DISCOVERY_OPTIONS,
      inject: [GATEWAY_CONFIG],
      useFactory: (config: GatewayConfig): DiscoveryOptions => ({
        ...DISCOVERY_DEFAULTS,
        intervalMs: config.discoveryIntervalMs,
        missesToForget: missesToForget(config.discoveryIntervalMs, config.modelForgetMs),
      }),
    },
    PredictorDiscoveryClient,
    ModelRegistry,
  ],
  exports: [ModelRegistry],
})
export class DiscoveryModule {}
