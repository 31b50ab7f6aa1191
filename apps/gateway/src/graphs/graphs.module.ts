import { Module } from '@nestjs/common';
import { GATEWAY_CONFIG } from '../config/config.module.js';
import type { GatewayConfig } from '../config/gateway-config.schema.js';
import { DiscoveryModule } from '../discovery/discovery.module.js';
import { InferenceModule } from '../inference/inference.module.js';
import { ParametersModule } from '../parameters/parameters.module.js';
import { TimeLagModule } from '../time-lag/time-lag.module.js';
import { loadGraphDir } from './graph.loader.js';
import { GRAPHS, GraphService } from './graph.service.js';

/**
 * Graphs as data: loads and validates every graph file (`GRAPHS_DIR`) at start — a bad file
 * throws a GraphDefinitionError naming the file and the path in it, so the gateway refuses to
 * start — and runs them with the graph engine. Needs LOGGER and GATEWAY_CONFIG.
 */
@Module({
  imports: [DiscoveryModule, InferenceModule, TimeLagModule, ParametersModule],
  providers: [
    { provide: GRAPHS, inject: [GATEWAY_CONFIG], useFactory: (config: GatewayConfig) => loadGraphDir(config.graphsDir) },
    GraphService,
  ],
  exports: [GraphService],
})
export class GraphsModule {}
