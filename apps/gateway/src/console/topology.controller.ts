import { Controller, Get, Inject } from '@nestjs/common';
import { discoverAllServices, NATS_CONNECTION, type NatsConnection } from '@msp/messaging';
import type { Topology } from '@msp/contracts';
import { joinTopology } from './topology.js';

/** How long the gateway collects `$SRV.INFO` / `$SRV.STATS` answers. */
const TOPOLOGY_WAIT_MS = 300;

/**
 * `GET /v1/topology`: every NATS micro service instance (predictors, preprocess, cache,
 * monitor…) with what it serves and its request counters, from NATS discovery. The console
 * polls it for the live topology and per-model throughput.
 */
@Controller('v1/topology')
export class TopologyController {
  constructor(@Inject(NATS_CONNECTION) private readonly nc: NatsConnection) {}

  @Get()
  async topology(): Promise<Topology> {
    const { infos, stats } = await discoverAllServices(this.nc, TOPOLOGY_WAIT_MS);
    return joinTopology(infos, stats, Date.now());
  }
}
