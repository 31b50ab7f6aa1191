import { Module } from '@nestjs/common';
import { DiscoveryModule } from '../discovery/discovery.module.js';
import { RoutingService } from './routing.service.js';

/** Per-model routing policies (latest, pinned, weighted canary) from JetStream KV. Needs the global MessagingModule. */
@Module({
  imports: [DiscoveryModule],
  providers: [RoutingService],
  exports: [RoutingService],
})
export class RoutingModule {}
