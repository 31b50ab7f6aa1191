import { Controller, Get, Inject, Param, Req } from '@nestjs/common';
import { deadlineIn, ExperimentSubjects, MspError, type AbReport, type ShadowReport } from '@msp/contracts';
import { NatsBus } from '@msp/messaging';
import { resolveRequestId } from '@msp/oip-server';
import type { FastifyRequest } from 'fastify';
import type { Experiment } from './experiment.schema.js';
import { EXPERIMENTS, ShadowService, type MirrorCounts } from './shadow.service.js';

/** The report waits this long for the monitor at most. */
const REPORT_TIMEOUT_MS = 10_000;

type Listed = Experiment & { gateway?: MirrorCounts };

/**
 * The experiments this gateway runs (EXPERIMENTS_FILE), and each one's report: the definition,
 * this gateway's mirror counts (shadow), and what the prediction log says of it (from
 * apps/monitor over NATS; 503 when no monitor runs).
 */
@Controller('v1/experiments')
export class ExperimentsController {
  private readonly byId: ReadonlyMap<string, Experiment>;

  constructor(
    @Inject(EXPERIMENTS) experiments: readonly Experiment[],
    private readonly shadows: ShadowService,
    private readonly bus: NatsBus,
  ) {
    this.byId = new Map(experiments.map((experiment) => [experiment.id, experiment]));
  }

  @Get()
  list(): { experiments: Listed[] } {
    return { experiments: [...this.byId.values()].map((experiment) => this.describe(experiment)) };
  }

  @Get(':id')
  async report(@Param('id') id: string, @Req() request: FastifyRequest): Promise<Listed & { report: ShadowReport | AbReport }> {
    const experiment = this.byId.get(id);
    if (!experiment) throw MspError.notFound(`no experiment '${id}' (GET /v1/experiments lists them)`);
    const report = await this.bus.request<ShadowReport | AbReport>(
      ExperimentSubjects.report,
      { id, kind: experiment.kind, ...(experiment.kind === 'ab' ? { variants: experiment.variants.map((variant) => variant.name) } : {}) },
      { deadline: deadlineIn(REPORT_TIMEOUT_MS), requestId: resolveRequestId(request) },
    );
    return { ...this.describe(experiment), report };
  }

  private describe(experiment: Experiment): Listed {
    return experiment.kind === 'shadow' ? { ...experiment, gateway: this.shadows.countsOf(experiment.id) } : experiment;
  }
}
