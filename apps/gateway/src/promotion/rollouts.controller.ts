import { Controller, Get, HttpCode, Param, Post, Req } from '@nestjs/common';
import type { RolloutRecord } from '@msp/contracts';
import type { FastifyRequest } from 'fastify';
import type { Rollout } from '../experiments/experiment.schema.js';
import { ManagementAuth } from '../parameters/management-auth.js';
import { PromotionService } from './promotion.service.js';

interface Described {
  rollout: Rollout;
  /** The registry's record of its last run (each step with the figures that justified it); null when it never ran. */
  record: RolloutRecord | null;
}

/**
 * Metric-gated promotion: GET /v1/rollouts (every declared rollout and its last record), GET
 * /v1/rollouts/:id, POST /v1/rollouts/:id/start (202; 409 while it runs) and POST
 * /v1/rollouts/:id/abort (rolls back; 409 when it is not running). Start and abort are guarded
 * like PUT /v1/parameters (x-management-token when MANAGEMENT_TOKEN is set; x-actor recorded).
 */
@Controller('v1/rollouts')
export class RolloutsController {
  constructor(
    private readonly promotion: PromotionService,
    private readonly auth: ManagementAuth,
  ) {}

  @Get()
  async list(): Promise<{ rollouts: Described[] }> {
    return { rollouts: await Promise.all(this.promotion.declared().map((rollout) => this.describe(rollout.id))) };
  }

  @Get(':id')
  one(@Param('id') id: string): Promise<Described> {
    return this.describe(id);
  }

  @Post(':id/start')
  @HttpCode(202)
  async start(@Param('id') id: string, @Req() request: FastifyRequest): Promise<Described> {
    const record = await this.promotion.start(id, this.auth.authorise(request, 'starting a rollout'));
    return { rollout: this.promotion.find(id), record };
  }

  @Post(':id/abort')
  async abort(@Param('id') id: string, @Req() request: FastifyRequest): Promise<Described> {
    const record = await this.promotion.abort(id, this.auth.authorise(request, 'aborting a rollout'));
    return { rollout: this.promotion.find(id), record };
  }

  private async describe(id: string): Promise<Described> {
    const rollout = this.promotion.find(id);
    return { rollout, record: (await this.promotion.record(id)) ?? null };
  }
}
