import { Controller, Get } from '@nestjs/common';
import { ModelRegistry } from '../discovery/model-registry.service.js';
import { listModels, type ModelListing } from './model-listing.js';
import { ReleaseRecordsRepository } from './release-records.repository.js';

/** training-to-serving: what is released (registry) beside what runs (discovery), per model and version. */
@Controller('v1/models')
export class ReleasesController {
  constructor(
    private readonly discovery: ModelRegistry,
    private readonly records: ReleaseRecordsRepository,
  ) {}

  @Get()
  async list(): Promise<ModelListing> {
    await this.discovery.refreshOnDemand();
    return listModels(this.discovery.routes(), await this.records.all());
  }
}
