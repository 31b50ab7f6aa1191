import 'reflect-metadata';
import { ConfigError } from '@msp/config';
import { createOipApp } from '@msp/oip-server';
import { createLogger, Metrics, startTracing } from '@msp/telemetry';
import { AppModule } from './app.module.js';
import { loadGatewayConfig } from './config/gateway-config.schema.js';
import { registerConsole } from './console/console.plugin.js';
import { UPLOAD_MAX_FILES } from './upload/upload.options.js';
import { registerUploads } from './upload/upload.plugin.js';

async function main(): Promise<void> {
  const config = loadGatewayConfig();
  await startTracing('gateway');
  const logger = createLogger({ service: 'gateway', level: config.logLevel });
  const metrics = new Metrics({ service: 'gateway' });
  const app = await createOipApp(AppModule.forRoot(config, logger, metrics), {
    logger,
    bodyLimitBytes: config.bodyLimitBytes,
    metrics,
    apiKeys: config.apiKeys,
  });
  await registerUploads(app, { maxFileBytes: config.bodyLimitBytes, maxFiles: UPLOAD_MAX_FILES });
  await registerConsole(app, config.consoleDir, logger);
  await app.listen(config.port, config.host);
  logger.info({ port: config.port, host: config.host, nats: config.natsServers, apiKeys: config.apiKeys.length }, 'gateway listening');
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`gateway failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  }
  process.exit(1);
});
