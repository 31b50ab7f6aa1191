import { NatsReadiness } from '@msp/messaging';
import { Metrics, Readiness } from '@msp/telemetry';

/** Ready when NATS is connected, the store is open, the endpoints are subscribed and the log is being consumed. */
export const MonitorReadiness = {
  nats: NatsReadiness.nats,
  endpoint: NatsReadiness.endpoints,
  consuming: 'consuming',
  store: 'store-open',
} as const;

export interface MonitorTelemetry {
  metrics: Metrics;
  readiness: Readiness;
}

export function monitorTelemetry(): MonitorTelemetry {
  return { metrics: new Metrics({ service: 'monitor' }), readiness: new Readiness(Object.values(MonitorReadiness)) };
}
