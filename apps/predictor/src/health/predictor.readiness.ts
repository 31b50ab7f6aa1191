import { NatsReadiness } from '@msp/messaging';
import { Metrics, Readiness } from '@msp/telemetry';

/** Ready when the model is loaded, NATS is connected and the model's endpoints are subscribed (the last two: NatsTransport). */
export const PredictorReadiness = { model: 'model-loaded', nats: NatsReadiness.nats, endpoint: NatsReadiness.endpoints } as const;

/** The process's metrics and readiness, made in main before Nest so the ops server answers during start-up. */
export interface PredictorTelemetry {
  metrics: Metrics;
  readiness: Readiness;
}

export function predictorTelemetry(): PredictorTelemetry {
  return { metrics: new Metrics({ service: 'predictor' }), readiness: new Readiness(Object.values(PredictorReadiness)) };
}
