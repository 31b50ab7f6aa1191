import 'reflect-metadata';
import { startNatsService } from '@msp/messaging';
import { createLogger, readConfigOrExit, startOpsServer, startTracing } from '@msp/telemetry';
import { AppModule } from './app.module.js';
import { loadCacheConfig } from './config/cache-config.schema.js';
import { cacheTelemetry } from './health/cache.readiness.js';

/** Boots one cache replica; on SIGTERM it stops the micro service, finishes work, drains NATS. */
async function bootstrap(): Promise<void> {
  const config = readConfigOrExit('cache', () => loadCacheConfig(process.env));
  if (!config) return;
  await startTracing('cache');
  const logger = createLogger({ service: 'cache', level: config.logLevel });
  try {
    const telemetry = cacheTelemetry();
    if (config.opsPort !== undefined) await startOpsServer({ port: config.opsPort, ...telemetry, logger });
    await startNatsService(AppModule.forRoot(config, logger, telemetry), logger);
    logger.info({ ttlSeconds: config.ttlSeconds, maxEntryBytes: config.maxEntryBytes }, 'cache started');
  } catch (error) {
    logger.fatal({ err: error }, `cache failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}

void bootstrap();
