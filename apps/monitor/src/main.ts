import 'reflect-metadata';
import { startNatsService } from '@msp/messaging';
import { createLogger, readConfigOrExit, startOpsServer, startTracing } from '@msp/telemetry';
import { AppModule } from './app.module.js';
import { loadMonitorConfig } from './config/monitor-config.schema.js';
import { monitorTelemetry } from './health/monitor.readiness.js';

/** Boots one monitor; on SIGTERM it stops consuming, finishes the write in flight, closes the store, drains NATS. */
async function bootstrap(): Promise<void> {
  const config = readConfigOrExit('monitor', () => loadMonitorConfig(process.env));
  if (!config) return;
  await startTracing('monitor');
  const logger = createLogger({ service: 'monitor', level: config.logLevel });
  try {
    const telemetry = monitorTelemetry();
    if (config.opsPort !== undefined) await startOpsServer({ port: config.opsPort, ...telemetry, logger });
    await startNatsService(AppModule.forRoot(config, logger, telemetry), logger);
    logger.info({ store: config.store.kind }, 'monitor started');
  } catch (error) {
    logger.fatal({ err: error }, `monitor failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}

void bootstrap();
