export { createLogger } from './logger.js';
export type { Logger, LoggerOptions } from './logger.js';
export { LoggerModule } from './logger.module.js';
export { LATENCY_BUCKETS_S, Metrics, secondsSince } from './metrics.js';
export type { CacheTier, CircuitStateName, JobOutcome, RequestObserver } from './metrics.js';
export { NestPinoLogger } from './nest-logger.js';
export { OpsRoutes, startOpsServer } from './ops.server.js';
export type { OpsServer, OpsServerOptions } from './ops.server.js';
export { Readiness } from './readiness.js';
export type { ReadinessCheck } from './readiness.js';
export { newRequestId } from './request-id.js';
export { readConfigOrExit, SHUTDOWN_SIGNALS } from './service-boot.js';
export { TelemetryModule } from './telemetry.module.js';
export { LOGGER } from './tokens.js';
export {
  activeTraceIds,
  DEFAULT_SAMPLE_RATIO,
  endSpan,
  extractTrace,
  failSpan,
  headerGetter,
  headerSetter,
  inContext,
  injectTrace,
  linkTo,
  objectGetter,
  SpanKind,
  startSpan,
  startTracing,
  stopTracing,
  tracingEnabled,
  traceFields,
  traceIds,
  tracingWanted,
  withSpan,
} from './tracing.js';
export type { Context, HeaderMap, Span, SpanOptions, TextMapGetter, TextMapSetter, TraceContext } from './tracing.js';
