import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { endOfStream, lastEventId, openEventStream } from '@msp/oip-server';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { TimeLagStore, type TimeLagRecord } from './time-lag.store.js';

/** The longest an event stream stays open waiting for the better answer. */
export const MAX_STREAM_MS = 60_000;
/** How often a stream re-reads Redis (answers written by another gateway replica). */
const POLL_MS = 250;

/**
 * The multi-stage (time-lag) pattern's routes: the stored answers of one request by id, and
 * the same as Server-Sent Events — `fast` at once, `better` (or `error`) when it is ready,
 * then `end`. Errors answer `{error}` through the OIP exception filter (global).
 */
@Controller('v1/time-lag')
export class TimeLagController {
  constructor(private readonly store: TimeLagStore) {}

  @Get(':id')
  get(@Param('id') id: string): Promise<TimeLagRecord> {
    return this.store.get(id);
  }

  /** Events carry their names as ids, so a reconnecting client (Last-Event-ID) gets only the rest. */
  @Get(':id/events')
  async events(@Param('id') id: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    let record = await this.store.get(id); // an unknown id is a 404 before any stream starts
    const seen = lastEventId(request);
    if (seen === 'end') return endOfStream(reply);
    const stream = openEventStream(reply);
    const { closed } = stream;
    const send = (event: string, data: unknown): void => stream.send(event, data, event);
    if (seen !== 'fast' && seen !== 'better' && seen !== 'error') send('fast', record.fast);
    const until = Date.now() + MAX_STREAM_MS;
    while (record.status === 'pending' && !closed.aborted && Date.now() < until) {
      const pushed = await this.store.nextUpdate(id, Math.min(POLL_MS, Math.max(1, until - Date.now())), closed);
      record = pushed ?? (await this.store.get(id).catch(() => record));
    }
    // A client that saw the outcome before it reconnected gets only the end.
    if (seen !== 'better' && seen !== 'error') {
      if (record.status === 'done') send('better', record.better);
      else if (record.status === 'failed') send('error', { error: record.error ?? 'the better model failed' });
      else send('error', { error: `no better answer within ${MAX_STREAM_MS} ms; fetch GET /v1/time-lag/${id} later` });
    }
    send('end', { id, status: record.status });
    stream.end();
  }
}
