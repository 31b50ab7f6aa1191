import type { FastifyReply } from 'fastify';

/** A Server-Sent Events response that knows when its client has gone. */
export interface EventStream {
  /** Aborted when the client closes the connection: stop waiting, stop writing. */
  readonly closed: AbortSignal;
  send(event: string, data: unknown): void;
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
  return {
    closed: closed.signal,
    send: (event, data) => write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`),
    keepAlive: () => write(': keep-alive\n\n'),
    end: () => {
      if (!closed.signal.aborted) raw.end();
    },
  };
}
