import { Body, Controller, Get, HttpCode, Param, Post, Query, Req } from '@nestjs/common';
import { deadlineIn, LogSubjects, MonitoringSubjects, MspError, type LoggedPrediction, type LogQuery, type MonitoringView } from '@msp/contracts';
import { NatsBus } from '@msp/messaging';
import { resolveRequestId } from '@msp/oip-server';
import type { FastifyRequest } from 'fastify';

/** Reading the log waits this long for the monitor at most. */
const LOG_TIMEOUT_MS = 10_000;
const DEFAULT_LIMIT = 100;
const MAX_LIMIT = 1_000;

/**
 * The prediction log read back, ground truth posted against a logged request, and a model's
 * monitoring window: all answered by the monitor over NATS (`msp.logs.*`,
 * `msp.monitoring.view`); 503 when no monitor runs.
 */
@Controller('v1')
export class LogsController {
  constructor(private readonly bus: NatsBus) {}

  @Get('logs')
  async logs(@Query() query: Record<string, string | undefined>, @Req() request: FastifyRequest): Promise<{ records: LoggedPrediction[] }> {
    return this.bus.request(LogSubjects.query, parseLogQuery(query), { deadline: deadlineIn(LOG_TIMEOUT_MS), requestId: resolveRequestId(request) });
  }

  @Get('monitoring/:model')
  async monitoring(@Param('model') model: string, @Req() request: FastifyRequest): Promise<MonitoringView> {
    return this.bus.request(MonitoringSubjects.view, { model }, { deadline: deadlineIn(LOG_TIMEOUT_MS), requestId: resolveRequestId(request) });
  }

  @Post('feedback')
  @HttpCode(200)
  async feedback(@Body() body: unknown, @Req() request: FastifyRequest): Promise<{ joined: true }> {
    if (typeof body !== 'object' || body === null) throw MspError.badRequest('send {"id": "<request id>", "label": <ground truth>} as application/json');
    return this.bus.request(LogSubjects.feedback, body, { deadline: deadlineIn(LOG_TIMEOUT_MS), requestId: resolveRequestId(request) });
  }
}

/** `?model=&since=&status=&limit=&request_id=`: `since` is epoch ms or an ISO 8601 date. */
export function parseLogQuery(query: Record<string, string | undefined>): LogQuery {
  const out: LogQuery = { limit: DEFAULT_LIMIT };
  if (query['model']) out.model = query['model'];
  if (query['request_id']) out.request_id = query['request_id'];
  if (query['since']) {
    const since = /^\d{1,15}$/.test(query['since']) ? Number(query['since']) : Date.parse(query['since']);
    if (Number.isNaN(since)) throw MspError.badRequest(`since must be epoch milliseconds or an ISO 8601 date, got '${query['since']}'`);
    out.since = since;
  }
  if (query['status']) {
    if (!/^\d{3}$/.test(query['status'])) throw MspError.badRequest(`status must be an HTTP status code, got '${query['status']}'`);
    out.status = Number(query['status']);
  }
  if (query['limit']) {
    const limit = /^\d{1,6}$/.test(query['limit']) ? Number(query['limit']) : Number.NaN;
    if (!(limit >= 1 && limit <= MAX_LIMIT)) throw MspError.badRequest(`limit must be a whole number from 1 to ${MAX_LIMIT}, got '${query['limit']}'`);
    out.limit = limit;
  }
  return out;
}
