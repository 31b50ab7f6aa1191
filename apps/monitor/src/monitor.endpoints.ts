import { ExperimentSubjects, LogQueueGroup, LogServiceName, LogSubjects, MonitoringSubjects } from '@msp/contracts';
import type { NatsConsumer, NatsServiceOptions } from '@msp/messaging';
import { MONITOR_VERSION } from './app.info.js';
import type { MonitorConfig } from './config/monitor-config.schema.js';

/** Names of the micro service endpoints, used as `@MessagePattern`s. */
export const MonitorEndpoints = { query: 'query', feedback: 'feedback', monitoring: 'monitoring', experiment: 'experiment' } as const;

/**
 * The monitor as one NATS micro service (`$SRV.*.msp-monitor`): the prediction log read back
 * (`msp.logs.query`), ground truth joined to it (`msp.logs.feedback`) and each model's
 * monitoring window (`msp.monitoring.view`) and experiment reports (`msp.experiments.report`), in the queue group `msp.monitor`; its consumer
 * stores the log from JetStream.
 */
export function monitorServiceOptions(config: MonitorConfig, consumers: readonly NatsConsumer[]): NatsServiceOptions {
  return {
    service: {
      name: LogServiceName,
      version: MONITOR_VERSION,
      description: 'Prediction log store (JetStream MSP_PREDICTIONS → PostgreSQL or embedded PGlite) and prediction monitoring',
      metadata: { store: config.store.kind },
    },
    endpoints: {
      [MonitorEndpoints.query]: { subject: LogSubjects.query, queue: LogQueueGroup },
      [MonitorEndpoints.feedback]: { subject: LogSubjects.feedback, queue: LogQueueGroup },
      [MonitorEndpoints.monitoring]: { subject: MonitoringSubjects.view, queue: LogQueueGroup },
      [MonitorEndpoints.experiment]: { subject: ExperimentSubjects.report, queue: LogQueueGroup },
    },
    consumers,
    defaultTimeoutMs: config.requestTimeoutMs,
    shutdownGraceMs: config.shutdownGraceMs,
    readyMessage: 'serving the prediction log over NATS',
  };
}
