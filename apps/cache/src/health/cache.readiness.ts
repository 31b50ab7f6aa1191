import { NatsReadiness } from '@msp/messaging';
import { Metrics, Readiness } from '@msp/telemetry';

/**
 * Ready when NATS is connected and the endpoints are subscribed. Redis is deliberately not a
 * condition: without it the cache answers "miss" at once and the gateway serves uncached.
 */
export const CacheReadiness = { nats: NatsReadiness.nats, endpoint: NatsReadiness.endpoints } as const;

/** The process's metrics and readiness, made in main before Nest so the ops server answers during start-up. */
export interface CacheTelemetry {
  metrics: Metrics;
  readiness: Readiness;
}

export function cacheTelemetry(): CacheTelemetry {
  return { metrics: new Metrics({ service: 'cache' }), readiness: new Readiness(Object.values(CacheReadiness)) };
}
