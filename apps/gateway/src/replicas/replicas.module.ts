import { Module } from '@nestjs/common';
import { GATEWAY_CONFIG } from '../config/config.module.js';
import type { GatewayConfig } from '../config/gateway-config.schema.js';
import { DiscoveryModule } from '../discovery/discovery.module.js';
import { OUTLIER_OPTIONS } from './outlier.options.js';
import { ReplicaBalancer } from './replica-balancer.js';

/** Which replica of a model gets a request, and which get none for now (outlier ejection). Needs GATEWAY_CONFIG and LOGGER. */
@Module({
  imports: [DiscoveryModule],
  providers: [{ provide: OUTLIER_OPTIONS, inject: [GATEWAY_CONFIG], useFactory: (config: GatewayConfig) => config.replicas }, ReplicaBalancer],
  exports: [ReplicaBalancer],
})
export class ReplicasModule {}
