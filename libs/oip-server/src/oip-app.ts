import type { DynamicModule, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ErrorCode, type ErrorBody } from '@msp/contracts';
import { NestPinoLogger, SHUTDOWN_SIGNALS, type Logger } from '@msp/telemetry';

export interface OipAppOptions {
  logger: Logger;
  /** Larger request bodies are refused with 413 before they are read. */
  bodyLimitBytes: number;
}

/** Errors Fastify answers before routing (e.g. a malformed URL) get the OIP error shape too. */
function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply): void {
  const status = error.statusCode !== undefined && error.statusCode < 500 ? error.statusCode : ErrorCode.BadRequest;
  const body: ErrorBody = { error: error.message };
  void reply.status(status).send(body);
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
