import type { DynamicModule, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest, onResponseHookHandler } from 'fastify';
import { ErrorCode, type ErrorBody } from '@msp/contracts';
import { NestPinoLogger, SHUTDOWN_SIGNALS, tracingEnabled, type Logger, type Metrics } from '@msp/telemetry';
import { requireApiKeys } from './api-keys.js';
import { traceRequests } from './http-tracing.js';

export interface OipAppOptions {
  logger: Logger;
  /** Larger request bodies are refused with 413 before they are read. */
  bodyLimitBytes: number;
  /** When given, every response is counted and timed (`msp_requests_total`, `msp_request_duration_seconds`). */
  metrics?: Metrics;
  /** When not empty, every route but health and metrics needs one of these keys (`requireApiKeys`). */
  apiKeys?: readonly string[];
}

/**
 * Counts and times every routed response by route template (never the raw URL), model and
 * status. Each route gets its own onResponse hook that knows its template, so the hot path
 * reads no route options. An unknown model (404) is labelled without the name the client
 * sent, so clients cannot grow the label set. Call before the routes are registered.
 */
export function instrumentResponses(instance: FastifyInstance, metrics: Metrics): void {
  instance.addHook('onRoute', (route) => {
    const template = route.url;
    const hook: onResponseHookHandler = (request, reply, done) => {
      const status = reply.statusCode;
      const model = status === 404 ? '' : ((request.params as { model?: string } | undefined)?.model ?? '');
      metrics.request(template, model, status, reply.elapsedTime / 1000);
      done();
    };
    const existing = route.onResponse;
    route.onResponse = existing === undefined ? [hook] : [...(Array.isArray(existing) ? existing : [existing]), hook];
  });
}

/** Errors Fastify answers before routing (e.g. a malformed URL) get the OIP error shape too. */
function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode !== undefined && error.statusCode < 500 ? error.statusCode : ErrorCode.BadRequest;
  const body: ErrorBody = { error: error.message };
  void reply.status(status).send(body);
}

/**
 * Fastify's JSON parser, minus its prototype-poisoning scans where they cannot find anything:
 * a body without `__proto__`, `constructor` or any `\u` escape (the only ways to spell them)
 * is plain `JSON.parse`; every other body, and every body JSON.parse refuses, goes to Fastify's
 * own parser (same 400s and refusals). The scans were ~15 % of parsing a 784-float image.
 */
function useQuickJsonParser(fastify: FastifyInstance): void {
  const secure = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'string' }, (request, body, done) => {
    const text = body as string;
    if (text.length > 0 && !text.includes('\\u') && !text.includes('__proto__') && !text.includes('constructor')) {
      try {
        done(null, JSON.parse(text));
        return;
      } catch {
        // Fastify's parser words the 400.
      }
    }
    void secure(request, text, done);
  });
}

/**
 * Creates the Nest application on Fastify for a root module that imports OipHttpModule.
 * Only `application/json` bodies are parsed (Fastify's own parser; anything else is a 415);
 * logs go to the structured logger; shutdown hooks are on for SIGTERM and SIGINT. The caller
 * then `listen`s.
 */
export async function createOipApp(
  rootModule: Type<unknown> | DynamicModule,
  options: OipAppOptions,
): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({ bodyLimit: options.bodyLimitBytes, frameworkErrors });
  // Fastify's own JSON parser only: plain text is refused too, and `bodyParser: false` keeps
  // Nest's url-encoded parser out, so a curl -d without a JSON content type gets a clear 415.
  adapter.getInstance().removeContentTypeParser('text/plain');
  useQuickJsonParser(adapter.getInstance());
  if (options.metrics) instrumentResponses(adapter.getInstance(), options.metrics);
  if (options.apiKeys && options.apiKeys.length > 0) requireApiKeys(adapter.getInstance(), options.apiKeys);
  // Off (no OTLP endpoint), not even the hooks are added.
  if (tracingEnabled()) traceRequests(adapter.getInstance());
  const app = await NestFactory.create<NestFastifyApplication>(rootModule, adapter, {
    logger: new NestPinoLogger(options.logger),
    bodyParser: false,
    abortOnError: false,
  });
  // On these signals Nest runs the shutdown hooks (drain NATS, stop timers), then exits with
  // process.exit so the asynchronous pino stream flushes its last lines.
  app.enableShutdownHooks(SHUTDOWN_SIGNALS, { useProcessExit: true });
  return app;
}
