import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { ConfigError } from '@msp/config';
import { createLogger, NestPinoLogger } from '@msp/telemetry';
import { AppModule } from './app.module.js';
import { loadPreprocessConfig, type PreprocessConfig } from './config/preprocess-config.schema.js';

/** Nest runs the shutdown hooks (stop the micro service, finish work, drain NATS), then exits 0. */
const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'];

async function bootstrap(): Promise<void> {
  const config = readConfig();
  if (!config) return;
  const logger = createLogger({ service: 'preprocess', level: config.logLevel });
  try {
    const app = await NestFactory.createApplicationContext(AppModule.forRoot(config, logger), {
      logger: new NestPinoLogger(logger),
      abortOnError: false,
    });
    app.enableShutdownHooks(SHUTDOWN_SIGNALS, { useProcessExit: true });
    await app.init();
    logger.info({ maxImages: config.maxImages, maxImageBytes: config.maxImageBytes }, 'preprocess started');
  } catch (error) {
    logger.fatal({ err: error }, `preprocess failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}

function readConfig(): PreprocessConfig | undefined {
  try {
    return loadPreprocessConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    createLogger({ service: 'preprocess' }).fatal({ problems: error.problems }, error.message);
    process.exitCode = 1;
    return undefined;
  }
}

void bootstrap();
