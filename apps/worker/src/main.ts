import 'reflect-metadata';
import { createLogger, readConfigOrExit, startServiceContext } from '@msp/telemetry';
import { AppModule } from './app.module.js';
import { loadWorkerConfig } from './config/worker-config.schema.js';

/** Boots one worker; on SIGTERM it stops pulling, lets jobs in flight finish within SHUTDOWN_GRACE_MS, drains NATS, quits Redis. */
async function bootstrap(): Promise<void> {
  const config = readConfigOrExit('worker', () => loadWorkerConfig(process.env));
  if (!config) return;
  const logger = createLogger({ service: 'worker', level: config.logLevel });
  try {
    await startServiceContext(AppModule.forRoot(config, logger), logger);
  } catch (error) {
    logger.fatal({ err: error }, `worker failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}

void bootstrap();
