import { Controller, Get, Res } from '@nestjs/common';
import { Metrics } from '@msp/telemetry';
import type { FastifyReply } from 'fastify';

/** `GET /metrics` (Prometheus text) beside the OIP routes, which all live under `/v2`. */
@Controller()
export class MetricsController {
  constructor(private readonly metrics: Metrics) {}

  @Get('metrics')
  async expose(@Res({ passthrough: true }) reply: FastifyReply): Promise<string> {
    const { contentType, body } = await this.metrics.expose();
    void reply.header('content-type', contentType);
    return body;
  }
}
