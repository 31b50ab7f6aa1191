import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { MspError, type MonitoringView } from '@msp/contracts';
import { MonitorEndpoints } from '../monitor.endpoints.js';
import { MonitoringService } from './monitoring.service.js';

/** The current monitoring window of one model (the gateway's GET /v1/monitoring/{model}). */
@Controller()
export class MonitoringController {
  constructor(private readonly monitoring: MonitoringService) {}

  @MessagePattern(MonitorEndpoints.monitoring)
  view(@Payload() body: unknown): Promise<MonitoringView> {
    const model = typeof body === 'object' && body !== null ? (body as { model?: unknown }).model : undefined;
    if (typeof model !== 'string' || model === '') throw MspError.badRequest('send {"model": "<name>"}');
    return this.monitoring.view(model);
  }
}
