import 'reflect-metadata';
import { startNatsService } from '@msp/messaging';
import { createLogger, readConfigOrExit, startOpsServer, startTracing } from '@msp/telemetry';
import { AppModule } from './app.module.js';
import { loadWorkerConfig } from './config/worker-config.schema.js';
import { workerTelemetry } from './health/worker.readiness.js';

/** Boots one worker; on SIGTERM it stops pulling, lets jobs in flight finish within SHUTDOWN_GRACE_MS, drains NATS, quits Redis. */
async function bootstrap(): Promise<void> {
  const config = readConfigOrExit('worker', () => loadWorkerConfig(process.env));
  if (!config) return;
  await startTracing('worker');
  const logger = createLogger({ service: 'worker', level: config.logLevel });
  try {
    const telemetry = workerTelemetry();
    if (config.opsPort !== undefined) await startOpsServer({ port: config.opsPort, ...telemetry, logger });
    await startNatsService(AppModule.forRoot(config, logger, telemetry), logger);
  } catch (error) {
    logger.fatal({ err: error }, `worker failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}

void bootstrap();
