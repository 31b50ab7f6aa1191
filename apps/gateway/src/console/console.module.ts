import { Module } from '@nestjs/common';
import { DiscoveryModule } from '../discovery/discovery.module.js';
import { ArtefactController } from './artefact.controller.js';
import { TopologyController } from './topology.controller.js';

/**
 * What the web console needs beyond the OIP and /v1 routes: `GET /v1/models/:model/artefact`
 * (edge prediction) and `GET /v1/topology` (NATS discovery). Its static assets are registered in main.ts (console.plugin.ts). Needs
 * the global MessagingModule.
 */
@Module({ imports: [DiscoveryModule], controllers: [ArtefactController, TopologyController] })
export class ConsoleModule {}
