import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { FeedbackSchema, LogQuerySchema, MspError, type AbReport, type LoggedPrediction, type ShadowReport } from '@msp/contracts';
import { z } from 'zod';
import { abReport } from '../experiments/ab-report.js';
import { shadowReport } from '../experiments/shadow-report.js';
import { MonitorEndpoints } from '../monitor.endpoints.js';
import { MonitoringService } from '../monitoring/monitoring.service.js';
import { LogStoreRepository } from './log-store.repository.js';

/** Both sides of this many of an experiment's newest requests make its report. */
const EXPERIMENT_WINDOW = 20_000;

const ExperimentQuerySchema = z.object({
  id: z.string().min(1).max(128),
  kind: z.enum(['shadow', 'ab']).default('shadow'),
  /** AB: the variants in order, the control first. */
  variants: z.array(z.string().min(1).max(128)).max(100).default([]),
  /** Only records at or after this epoch ms (a rollout step's window); default: the whole log. */
  since: z.number().int().min(0).default(0),
});

/** Reads the prediction log back and joins ground truth to it (the gateway's /v1/logs and /v1/feedback). */
@Controller()
export class LogController {
  constructor(
    private readonly store: LogStoreRepository,
    private readonly monitoring: MonitoringService,
  ) {}

  @MessagePattern(MonitorEndpoints.query)
  async query(@Payload() body: unknown): Promise<{ records: LoggedPrediction[] }> {
    const parsed = LogQuerySchema.safeParse(body ?? {});
    if (!parsed.success) throw MspError.badRequest(`bad log query: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
    return { records: await this.store.find(parsed.data) };
  }

  @MessagePattern(MonitorEndpoints.experiment)
  async experiment(@Payload() body: unknown): Promise<ShadowReport | AbReport> {
    const parsed = ExperimentQuerySchema.safeParse(body);
    if (!parsed.success) throw MspError.badRequest('an experiment report needs {"id": "<experiment id>", "kind": "shadow"|"ab"}');
    const { id, kind, variants, since } = parsed.data;
    const records = await this.store.experiment(id, EXPERIMENT_WINDOW, since);
    return kind === 'ab' ? abReport(id, variants, records, EXPERIMENT_WINDOW) : shadowReport(id, records, EXPERIMENT_WINDOW);
  }

  @MessagePattern(MonitorEndpoints.feedback)
  async feedback(@Payload() body: unknown): Promise<{ joined: true }> {
    const parsed = FeedbackSchema.safeParse(body);
    if (!parsed.success) {
      throw MspError.badRequest(`feedback must be {"id": "<request id>", "label": <ground truth>}: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
    }
    if (!(await this.store.feedback(parsed.data, Date.now()))) {
      throw MspError.notFound(`no logged prediction has request id '${parsed.data.id}' (yet: the log is written within a second)`);
    }
    this.monitoring.feedback(parsed.data.id, parsed.data.label);
    return { joined: true };
  }
}
