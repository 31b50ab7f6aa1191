import { Metrics, Readiness } from '@msp/telemetry';

/** Ready when NATS is connected, Redis is up and the job consumer is pulling. */
export const WorkerReadiness = { nats: 'nats-connected', redis: 'redis-ready', consuming: 'consuming' } as const;

/** The process's metrics and readiness, made in main before Nest so the ops server answers during start-up. */
export interface WorkerTelemetry {
  metrics: Metrics;
  readiness: Readiness;
}

export function workerTelemetry(): WorkerTelemetry {
  return { metrics: new Metrics({ service: 'worker' }), readiness: new Readiness(Object.values(WorkerReadiness)) };
}
