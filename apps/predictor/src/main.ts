import 'reflect-metadata';
import { connectNatsService, startNatsService } from '@msp/messaging';
import { ModelLoadError } from '@msp/model-runtime';
import { createLogger, readConfigOrExit, startOpsServer, startTracing, type Logger } from '@msp/telemetry';
import { AppModule } from './app.module.js';
import { loadPredictorConfig, predictorName, type PredictorConfig } from './config/predictor-config.schema.js';
import { predictorTelemetry } from './health/predictor.readiness.js';

/** Boots one predictor: config once, then the NATS service, and HTTP too when HTTP_PORT is set. */
async function bootstrap(): Promise<void> {
  const config = readConfigOrExit('predictor', () => loadPredictorConfig(process.env));
  if (!config) return;
  await startTracing(predictorName(config));
  const logger = createLogger({ service: predictorName(config), level: config.logLevel });
  if (config.faultDelayMs > 0) {
    logger.warn(
      { faultDelayMs: config.faultDelayMs },
      `FAULT_DELAY_MS=${config.faultDelayMs}: EVERY REQUEST IS DELAYED ON PURPOSE (fault injection) — never in production`,
    );
  }
  if (config.faultBusyMs > 0) {
    logger.warn(
      { faultBusyMs: config.faultBusyMs },
      `FAULT_BUSY_MS=${config.faultBusyMs}: EVERY REQUEST SPENDS CPU ON PURPOSE (a heavier model, for load tests) — never in production`,
    );
  }
  if (config.faultErrorPercent > 0) {
    logger.warn(
      { faultErrorPercent: config.faultErrorPercent },
      `FAULT_ERROR_PERCENT=${config.faultErrorPercent}: REQUESTS FAIL ON PURPOSE (fault injection) — never in production`,
    );
  }
  try {
    await start(config, logger);
  } catch (error) {
    // A model that cannot be served is an expected failure: its message names the file at fault.
    const details = error instanceof ModelLoadError ? { file: error.file } : { err: error };
    logger.fatal(details, `predictor failed to start: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  }
}

async function start(config: PredictorConfig, logger: Logger): Promise<void> {
  const telemetry = predictorTelemetry();
  // Up before the model loads: live at once, ready (200) only once the model is served.
  if (config.opsPort !== undefined) await startOpsServer({ port: config.opsPort, ...telemetry, logger });
  const root = AppModule.forRoot(config, logger, telemetry);
  if (config.http) {
    const { createOipApp } = await import('@msp/oip-server');
    const app = await createOipApp(root, { logger, bodyLimitBytes: config.http.bodyLimitBytes, metrics: telemetry.metrics, apiKeys: config.apiKeys });
    await app.listen(config.http.port, config.http.host);
    await connectNatsService(app);
    logger.info({ url: await app.getUrl() }, 'web-single: OIP v2 REST routes served in-process');
  } else {
    await startNatsService(root, logger);
  }
  logger.info({ models: config.models, http: config.http ?? false }, 'predictor started');
}

void bootstrap();
