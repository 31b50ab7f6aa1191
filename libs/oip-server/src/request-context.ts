import { MspError } from '@msp/contracts';
import { newRequestId, type TraceContext } from '@msp/telemetry';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpHeaders } from './http-headers.js';
import { traceOf } from './http-tracing.js';
import type { OipHttpOptions } from './oip-http.options.js';

const REQUEST_ID = Symbol('msp.request-id');
type WithRequestId = FastifyRequest & { [REQUEST_ID]?: string };

/** Visible ASCII only, so an id taken from a client is safe to log and to echo as a header. */
const SAFE_ID = /^[\x21-\x7e]{1,256}$/;

export function isSafeRequestId(value: unknown): value is string {
  return typeof value === 'string' && SAFE_ID.test(value);
}

/**
 * The request's correlation id: the client's `x-request-id` header, else the OIP body `id`,
 * else a new one. Remembered on the request so the error filter reports the same id.
 */
export function resolveRequestId(request: FastifyRequest, bodyId?: unknown): string {
  const header = request.headers[HttpHeaders.requestId];
  const id = isSafeRequestId(header) ? header : isSafeRequestId(bodyId) ? bodyId : newRequestId();
  (request as WithRequestId)[REQUEST_ID] = id;
  return id;
}

/** The id chosen by `resolveRequestId`, or (for requests that failed before) one chosen now. */
export function requestIdOf(request: FastifyRequest): string {
  return (request as WithRequestId)[REQUEST_ID] ?? resolveRequestId(request);
}

/**
 * The timeout of one request in ms: the server default, or what the client asks for in
 * `x-timeout-ms` (a positive integer), capped at the server maximum.
 */
export function requestTimeoutMs(
  header: string | string[] | undefined,
  timeouts: OipHttpOptions['timeouts'],
): number {
  if (header === undefined) return timeouts.defaultMs;
  const value = typeof header === 'string' ? header.trim() : undefined;
  const ms = value !== undefined && /^\d{1,15}$/.test(value) ? Number(value) : Number.NaN;
  if (!(ms > 0)) {
    throw MspError.badRequest(
      `header ${HttpHeaders.timeoutMs} must be a positive whole number of milliseconds, got '${String(header).slice(0, 40)}'`,
    );
  }
  return Math.min(ms, timeouts.maxMs);
}

/**
 * The InferContext of one HTTP request. Its `signal` (aborted when the client closes the
 * connection before the answer is sent) is only created when a backend reads it, so the
 * plain model path pays nothing for it.
 */
export class HttpInferContext {
  private controller: AbortController | undefined;

  constructor(
    readonly requestId: string,
    readonly deadline: number,
    private readonly reply: FastifyReply,
  ) {}

  get trace(): TraceContext | undefined {
    return traceOf(this.reply.request);
  }

  setHeader(name: string, value: string): void {
    void this.reply.header(name, value);
  }

  header(name: string): string | undefined {
    const value = this.reply.request.headers[name.toLowerCase()];
    return Array.isArray(value) ? value[0] : value;
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      const controller = new AbortController();
      this.controller = controller;
      const raw = this.reply.raw;
      if (raw.destroyed && !raw.writableFinished) controller.abort();
      else raw.once('close', () => {
        if (!raw.writableFinished) controller.abort();
      });
    }
    return this.controller.signal;
  }
}
