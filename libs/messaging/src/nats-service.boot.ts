import type { DynamicModule, INestApplication, INestMicroservice } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { AsyncMicroserviceOptions } from '@nestjs/microservices';
import { NestPinoLogger, SHUTDOWN_SIGNALS, type Logger } from '@msp/telemetry';
import { NatsExceptionFilter } from './nats-exception.filter.js';
import { NatsTransport } from './nats.transport.js';

/** The app's own NatsTransport (NatsServiceModule) as the microservice strategy. */
const natsStrategy: AsyncMicroserviceOptions = {
  inject: [NatsTransport],
  useFactory: (strategy: NatsTransport) => ({ strategy }),
};

/**
 * Boots a NATS service (no HTTP): the root module must import MessagingModule and
 * NatsServiceModule. Resolves once it serves (ready). On SIGTERM/SIGINT Nest stops the
 * transport (no new work, work in flight finishes), drains NATS, then exits with
 * `process.exit` so pino's last lines are flushed.
 */
export async function startNatsService(root: DynamicModule, logger: Logger): Promise<INestMicroservice> {
  const app = await NestFactory.createMicroservice(root, {
    ...natsStrategy,
    logger: new NestPinoLogger(logger),
    abortOnError: false,
  });
  app.useGlobalFilters(new NatsExceptionFilter());
  app.enableShutdownHooks(SHUTDOWN_SIGNALS, { useProcessExit: true });
  await app.listen();
  return app;
}

/**
 * Serves the NATS side of an HTTP application too (a hybrid app, e.g. web-single), with its
 * own filters; the HTTP app closes it before NATS drains. Call after the app listens.
 */
export async function connectNatsService(app: INestApplication): Promise<void> {
  const microservice = app.connectMicroservice(natsStrategy);
  microservice.useGlobalFilters(new NatsExceptionFilter());
  await app.startAllMicroservices();
}
