import { NatsReadiness } from '@msp/messaging';
import { Metrics, Readiness } from '@msp/telemetry';

/** Ready when NATS is connected and the prep endpoint is subscribed. */
export const PreprocessReadiness = { nats: NatsReadiness.nats, endpoint: NatsReadiness.endpoints } as const;

/** The process's metrics and readiness, made in main before Nest so the ops server answers during start-up. */
export interface PreprocessTelemetry {
  metrics: Metrics;
  readiness: Readiness;
}

export function preprocessTelemetry(): PreprocessTelemetry {
  return { metrics: new Metrics({ service: 'preprocess' }), readiness: new Readiness(Object.values(PreprocessReadiness)) };
}
