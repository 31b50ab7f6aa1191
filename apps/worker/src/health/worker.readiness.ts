import { NatsReadiness } from '@msp/messaging';
import { Metrics, Readiness } from '@msp/telemetry';

/** Ready when NATS is connected, Redis is up and the job consumer is pulling (the first and last: NatsTransport). */
export const WorkerReadiness = { nats: NatsReadiness.nats, redis: 'redis-ready', consuming: 'consuming' } as const;

/** The process's metrics and readiness, made in main before Nest so the ops server answers during start-up. */
export interface WorkerTelemetry {
  metrics: Metrics;
  readiness: Readiness;
}

export function workerTelemetry(): WorkerTelemetry {
  return { metrics: new Metrics({ service: 'worker' }), readiness: new Readiness(Object.values(WorkerReadiness)) };
}
