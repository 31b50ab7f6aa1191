import type { FastifyInstance, FastifyRequest } from 'fastify';
import { endSpan, extractTrace, objectGetter, runInSpan, SpanKind, startSpan, type Span } from '@msp/telemetry';

const SPAN = Symbol('msp.span');
type WithSpan = FastifyRequest & { [SPAN]?: Span };

/**
 * One SERVER span per HTTP request, named by method and route template, a child of the
 * client's `traceparent`. Written here rather than with an instrumentation package: the HTTP
 * instrumentation needs an ESM loader hook registered before Fastify loads, and the NestJS one
 * does not support Nest 12; three Fastify hooks do the same job. The span is made active in
 * `preHandler` (after the body is read, whose stream callbacks would lose the context), so the
 * handler's NATS calls and log lines are its children.
 */
export function traceRequests(instance: FastifyInstance): void {
  instance.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url ?? 'unrouted';
    (request as WithSpan)[SPAN] = startSpan(`${request.method} ${route}`, {
      kind: SpanKind.SERVER,
      parent: extractTrace(request.headers, objectGetter),
      attributes: { 'http.request.method': request.method, 'http.route': route, 'url.path': request.url.split('?')[0] ?? '' },
    });
    done();
  });
  instance.addHook('preHandler', (request, _reply, done) => runInSpan((request as WithSpan)[SPAN], done));
  instance.addHook('onResponse', (request, reply, done) => {
    endSpan((request as WithSpan)[SPAN], reply.statusCode);
    done();
  });
}
