import { DiscardPolicy, JetStreamApiError, RetentionPolicy, StorageType, type JetStreamManager, type StreamConfig } from '@nats-io/jetstream';
import { PredictionLogStream } from '@msp/contracts';

const STREAM_NOT_FOUND = 10059;
const nanos = (ms: number): number => ms * 1_000_000;

/** The log is a buffer between the serving paths and its store: a week, 1 GiB at most, oldest dropped first. */
export function predictionLogStreamConfig(): Partial<StreamConfig> & { name: string } {
  return {
    name: PredictionLogStream.name,
    description: 'the prediction log: one record per prediction, every pattern (apps/monitor stores and monitors it)',
    subjects: [PredictionLogStream.subjects],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_age: nanos(7 * 24 * 3_600_000),
    max_bytes: 1024 * 1024 * 1024,
    num_replicas: 1,
  };
}

/** Creates the stream (or leaves the existing one); safe from every process at once. */
export async function ensurePredictionLogStream(jsm: JetStreamManager): Promise<void> {
  const config = predictionLogStreamConfig();
  try {
    await jsm.streams.info(config.name);
  } catch (error) {
    if (!(error instanceof JetStreamApiError && error.code === STREAM_NOT_FOUND)) throw error;
    await jsm.streams.add(config).catch((added: unknown) => {
      // Created by another process meanwhile is fine.
      if (!(added instanceof JetStreamApiError && /already in use/i.test(added.message))) throw added;
    });
  }
}
