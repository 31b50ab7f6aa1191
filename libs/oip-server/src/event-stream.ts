import type { FastifyReply, FastifyRequest } from 'fastify';

/** How long a client waits before it reconnects to a stream that broke (`retry:`), in ms. */
const RECONNECT_MS = 1_000;

/** A Server-Sent Events response that knows when its client has gone. */
export interface EventStream {
  /** Aborted when the client closes the connection: stop waiting, stop writing. */
  readonly closed: AbortSignal;
  /** `id`: what the client sends back as `Last-Event-ID` when it reconnects, so it can resume. */
  send(event: string, data: unknown, id?: string): void;
  /** A comment line; keeps proxies from closing a quiet stream. */
  keepAlive(): void;
  end(): void;
}

/**
 * Takes the response over from the framework and opens an event stream on it. Call it only
 * after every check that could still answer with an error status (e.g. an unknown id → 404).
 */
export function openEventStream(reply: FastifyReply): EventStream {
  reply.hijack();
  const raw = reply.raw;
  const closed = new AbortController();
  raw.once('close', () => closed.abort());
  raw.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache',
    connection: 'keep-alive',
    // nginx and similar proxies buffer responses unless told not to.
    'x-accel-buffering': 'no',
  });
  const write = (text: string): void => {
    if (!closed.signal.aborted) raw.write(text);
  };
  write(`retry: ${RECONNECT_MS}\n\n`);
  return {
    closed: closed.signal,
    send: (event, data, id) => write(`${id === undefined ? '' : `id: ${id}\n`}event: ${event}\ndata: ${JSON.stringify(data)}\n\n`),
    keepAlive: () => write(': keep-alive\n\n'),
    end: () => {
      if (!closed.signal.aborted) raw.end();
    },
  };
}

/**
 * The id of the last event a reconnecting client saw (`Last-Event-ID`, which EventSource sends
 * by itself), so a stream resumed after a broken connection — a gateway restart, say — sends
 * only what is new.
 */
export function lastEventId(request: FastifyRequest): string | undefined {
  const header = request.headers['last-event-id'];
  const value = Array.isArray(header) ? header[0] : header;
  return value === undefined || value === '' || value.length > 128 ? undefined : value;
}

/**
 * Answers 204 without opening a stream: per the SSE specification, EventSource stops
 * reconnecting. For a client whose Last-Event-ID was already the last event there is.
 */
export function endOfStream(reply: FastifyReply): void {
  void reply.status(204).send();
}
