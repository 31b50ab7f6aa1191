// Tracing joins here later (OTel setup, traceparent over NATS headers); logging is in place now.
export { createLogger } from './logger.js';
export type { Logger, LoggerOptions } from './logger.js';
export { LoggerModule } from './logger.module.js';
export { NestPinoLogger } from './nest-logger.js';
export { newRequestId } from './request-id.js';
export { readConfigOrExit, SHUTDOWN_SIGNALS, startServiceContext } from './service-boot.js';
export { LOGGER } from './tokens.js';
