import { DiscardPolicy, RetentionPolicy, StorageType } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';
import { PredictionLogStream } from '@msp/contracts';
import { ensureStream, type StreamSpec } from '@msp/messaging';

const nanos = (ms: number): number => ms * 1_000_000;

/** The log is a buffer between the serving paths and its store: a week, 1 GiB at most, oldest dropped first. */
export function predictionLogStreamConfig(): StreamSpec {
  return {
    name: PredictionLogStream.name,
    description: 'the prediction log: one record per prediction, every pattern (apps/monitor stores and monitors it)',
    subjects: [PredictionLogStream.subjects],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: nanos(7 * 24 * 3_600_000),
    max_bytes: 1024 * 1024 * 1024,
  };
}

/** Creates the stream (or brings it to this configuration); safe from every process at once. */
export function ensurePredictionLogStream(nc: NatsConnection): Promise<void> {
  return ensureStream(nc, predictionLogStreamConfig());
}
