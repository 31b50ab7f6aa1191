import type { FastifyInstance, FastifyRequest } from 'fastify';
import { endSpan, extractTrace, objectGetter, SpanKind, startSpan, type TraceContext } from '@msp/telemetry';

const TRACE = Symbol('msp.trace');
type WithTrace = FastifyRequest & { [TRACE]?: TraceContext };

/**
 * One SERVER span per HTTP request, named by method and route template, a child of the
 * client's `traceparent`. Written here rather than with an instrumentation package: the HTTP
 * instrumentation needs an ESM loader hook registered before Fastify loads, and the NestJS one
 * does not support Nest 12; two Fastify hooks do the same job. The handler reads the trace with
 * `traceOf` and hands it to the calls it makes (InferContext.trace).
 */
export function traceRequests(instance: FastifyInstance): void {
  instance.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url ?? 'unrouted';
    (request as WithTrace)[TRACE] = startSpan(`${request.method} ${route}`, {
      kind: SpanKind.SERVER,
      parent: extractTrace(request.headers, objectGetter),
      attributes: { 'http.request.method': request.method, 'http.route': route, 'url.path': request.url.split('?')[0] ?? '' },
    });
    done();
  });
  instance.addHook('onResponse', (request, reply, done) => {
    endSpan((request as WithTrace)[TRACE], reply.statusCode);
    done();
  });
}

/** The trace of an HTTP request (its server span); undefined when tracing is off. */
export function traceOf(request: FastifyRequest): TraceContext | undefined {
  return (request as WithTrace)[TRACE];
}
