import { Module } from '@nestjs/common';
import { DiscoveryModule } from '../discovery/discovery.module.js';
import { ReleasesController } from './releases.controller.js';
import { ReleaseRecordsRepository } from './release-records.repository.js';

/** `GET /v1/models`: every model, its versions, their registry status and replica count. Needs the global MessagingModule. */
@Module({
  imports: [DiscoveryModule],
  controllers: [ReleasesController],
  providers: [ReleaseRecordsRepository],
})
export class ReleasesModule {}
