import { Body, Controller, Get, HttpCode, Param, Post, Req, Res } from '@nestjs/common';
import { IDEMPOTENCY_KEY, IDEMPOTENCY_KEY_HEADER, isJobId, isTerminalStatus, MspError } from '@msp/contracts';
import { toJobView, type JobRecord, type JobView } from '@msp/jobs';
import { endOfStream, HttpHeaders, lastEventId, openEventStream, resolveRequestId, traceOf } from '@msp/oip-server';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { JobSubmitService } from './job-submit.service.js';

/** The longest an event stream stays open waiting for a job to finish. */
export const MAX_EVENTS_MS = 10 * 60_000;
/** How often an event stream re-reads the job (workers write it in Redis). */
const POLL_MS = 200;
/** A comment line this often keeps proxies from closing a quiet stream. */
const HEARTBEAT_MS = 15_000;

export interface SubmitAnswer {
  job_id: string;
  status: JobView['status'];
  status_url: string;
  events_url: string;
}

const statusUrl = (jobId: string): string => `/v1/jobs/${jobId}`;
/** The SSE id of a job's state: a new one for every status and every new attempt. */
const eventIdOf = (job: JobRecord): string => `${job.attempts}.${job.status}`;

/**
 * The asynchronous pattern's routes: submit a job (202 with its id at once), read its state,
 * or follow it as Server-Sent Events. Errors answer `{error}` through the OIP exception filter.
 */
@Controller('v1')
export class AsyncJobsController {
  constructor(private readonly jobs: JobSubmitService) {}

  @Post('async/models/:model/infer')
  @HttpCode(202)
  submit(
    @Param('model') model: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SubmitAnswer> {
    return this.accept(model, undefined, body, request, reply);
  }

  @Post('async/models/:model/versions/:version/infer')
  @HttpCode(202)
  submitVersion(
    @Param('model') model: string,
    @Param('version') version: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<SubmitAnswer> {
    return this.accept(model, version, body, request, reply);
  }

  @Get('jobs/:id')
  async job(@Param('id') id: string): Promise<JobView> {
    return toJobView(await this.find(id));
  }

  /**
   * Every status event carries an id (`<attempts>.<status>`): a client that reconnects (e.g.
   * after a gateway restart) with Last-Event-ID gets only what it has not seen, and a 204 once
   * it has seen the end.
   */
  @Get('jobs/:id/events')
  async events(@Param('id') id: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    let job = await this.find(id); // an unknown id is a 404 before any stream starts
    const seen = lastEventId(request);
    if (seen === eventIdOf(job) && isTerminalStatus(job.status)) return endOfStream(reply);
    const stream = openEventStream(reply);
    const { closed } = stream;
    const send = (record: JobRecord): void => stream.send('status', toJobView(record), eventIdOf(record));
    if (seen !== eventIdOf(job)) send(job);
    const until = Date.now() + MAX_EVENTS_MS;
    let lastBeat = Date.now();
    while (!isTerminalStatus(job.status) && !closed.aborted && Date.now() < until) {
      await sleep(POLL_MS, closed);
      const next = await this.jobs.get(id).catch(() => job);
      if (!next) {
        stream.send('error', { error: `job ${id} expired` });
        break;
      }
      if (next.status !== job.status || next.attempts !== job.attempts) {
        send(next);
        lastBeat = Date.now();
      } else if (Date.now() - lastBeat > HEARTBEAT_MS) {
        stream.keepAlive();
        lastBeat = Date.now();
      }
      job = next;
    }
    if (!isTerminalStatus(job.status) && Date.now() >= until) {
      stream.send('error', { error: `job ${id} did not finish within ${MAX_EVENTS_MS} ms; poll ${statusUrl(id)} later` });
    }
    stream.end();
  }

  private async accept(
    model: string,
    version: string | undefined,
    body: unknown,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<SubmitAnswer> {
    const bodyId = typeof body === 'object' && body !== null ? (body as { id?: unknown }).id : undefined;
    const requestId = resolveRequestId(request, bodyId);
    reply.header(HttpHeaders.requestId, requestId);
    const key = request.headers[IDEMPOTENCY_KEY_HEADER];
    if (key !== undefined && (typeof key !== 'string' || !IDEMPOTENCY_KEY.test(key))) {
      throw MspError.badRequest(`header Idempotency-Key must be 1 to 255 visible ASCII characters`);
    }
    const { job, replayed } = await this.jobs.submit(model, version, body, {
      requestId,
      trace: traceOf(request),
      ...(key === undefined ? {} : { idempotencyKey: key }),
    });
    reply.header('location', statusUrl(job.job_id));
    if (replayed) reply.header('idempotent-replayed', 'true');
    return {
      job_id: job.job_id,
      status: job.status,
      status_url: statusUrl(job.job_id),
      events_url: `${statusUrl(job.job_id)}/events`,
    };
  }

  private async find(id: string): Promise<JobRecord> {
    // Not a UUID: no job can have it, and Redis is not asked.
    const job = isJobId(id) ? await this.jobs.get(id) : undefined;
    if (!job) throw MspError.notFound(`unknown job '${id}' (it never existed, or it expired)`);
    return job;
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}
