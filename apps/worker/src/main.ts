import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ConfigError } from '@msp/config';
import { createLogger, NestPinoLogger } from '@msp/telemetry';
import { AppModule } from './app.module.js';
import { loadWorkerConfig, type WorkerConfig } from './config/worker-config.schema.js';

/**
 * On these, Nest runs the shutdown hooks (stop pulling jobs, let those in flight finish within
 * SHUTDOWN_GRACE_MS, drain NATS, quit Redis), then exits with process.exit so pino flushes.
 */
const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'];

async function bootstrap(): Promise<void> {
  const config = readConfig();
  if (!config) return;
  const logger = createLogger({ service: 'worker', level: config.logLevel });
  try {
    const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, logger), {
      logger: new NestPinoLogger(logger),
      abortOnError: false,
    });
    app.enableShutdownHooks(SHUTDOWN_SIGNALS, { useProcessExit: true });
    await app.init();
  } catch (error) {
    logger.fatal({ err: error }, `worker failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}

function readConfig(): WorkerConfig | undefined {
  try {
    return loadWorkerConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    createLogger({ service: 'worker' }).fatal({ problems: error.problems }, error.message);
    process.exitCode = 1;
    return undefined;
  }
}

void bootstrap();
