import 'reflect-metadata';
import { startNatsService } from '@msp/messaging';
import { createLogger, readConfigOrExit, startOpsServer, startTracing } from '@msp/telemetry';
import { AppModule } from './app.module.js';
import { loadPreprocessConfig } from './config/preprocess-config.schema.js';
import { preprocessTelemetry } from './health/preprocess.readiness.js';

/** Boots one preprocess replica; on SIGTERM it stops the micro service, finishes work, drains NATS. */
async function bootstrap(): Promise<void> {
  const config = readConfigOrExit('preprocess', () => loadPreprocessConfig(process.env));
  if (!config) return;
  await startTracing('preprocess');
  const logger = createLogger({ service: 'preprocess', level: config.logLevel });
  try {
    const telemetry = preprocessTelemetry();
    if (config.opsPort !== undefined) await startOpsServer({ port: config.opsPort, ...telemetry, logger });
    await startNatsService(AppModule.forRoot(config, logger, telemetry), logger);
    logger.info({ maxImages: config.maxImages, maxImageBytes: config.maxImageBytes }, 'preprocess started');
  } catch (error) {
    logger.fatal({ err: error }, `preprocess failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}

void bootstrap();
