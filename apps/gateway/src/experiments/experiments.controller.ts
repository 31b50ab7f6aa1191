import { Controller, Get, Param, Req } from '@nestjs/common';
import { deadlineIn, ExperimentSubjects, MspError, type ShadowReport } from '@msp/contracts';
import { NatsBus } from '@msp/messaging';
import { resolveRequestId } from '@msp/oip-server';
import type { FastifyRequest } from 'fastify';
import type { ShadowExperiment } from './experiment.schema.js';
import { ShadowService, type MirrorCounts } from './shadow.service.js';

/** The report waits this long for the monitor at most. */
const REPORT_TIMEOUT_MS = 10_000;

type Listed = ShadowExperiment & { gateway: MirrorCounts };

/**
 * The experiments this gateway runs (EXPERIMENTS_FILE), and each one's report: the definition,
 * this gateway's mirror counts, and what the prediction log says of both sides (from
 * apps/monitor over NATS; 503 when no monitor runs).
 */
@Controller('v1/experiments')
export class ExperimentsController {
  constructor(
    private readonly shadows: ShadowService,
    private readonly bus: NatsBus,
  ) {}

  @Get()
  list(): { experiments: Listed[] } {
    return { experiments: this.shadows.list().map((experiment) => ({ ...experiment, gateway: this.shadows.countsOf(experiment.id) })) };
  }

  @Get(':id')
  async report(@Param('id') id: string, @Req() request: FastifyRequest): Promise<Listed & { report: ShadowReport }> {
    const experiment = this.shadows.find(id);
    if (!experiment) throw MspError.notFound(`no experiment '${id}' (GET /v1/experiments lists them)`);
    const report = await this.bus.request<ShadowReport>(ExperimentSubjects.report, { id }, { deadline: deadlineIn(REPORT_TIMEOUT_MS), requestId: resolveRequestId(request) });
    return { ...experiment, gateway: this.shadows.countsOf(id), report };
  }
}
