import { JetStreamApiError, jetstreamManager, type StreamConfig } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';

const STREAM_NOT_FOUND = 10059;

/** JetStream API calls made here (stream info, add, update) wait at most this long. */
export const JETSTREAM_API_TIMEOUT_MS = 5_000;

/** A stream's configuration without the replica count, which comes from the connection. */
export type StreamSpec = Partial<Omit<StreamConfig, 'num_replicas'>> & { name: string };

/**
 * The replica count of every stream, KV bucket and object store a process creates, by
 * connection: set once where the connection is made (JETSTREAM_REPLICAS, 1 on one server, 3 on
 * a three-node cluster) so no caller has to carry it; a connection never told says 1.
 */
const replicasByConnection = new WeakMap<NatsConnection, number>();

export function setJetStreamReplicas(nc: NatsConnection, replicas: number): void {
  if (!Number.isInteger(replicas) || replicas < 1 || replicas > 5) {
    throw new RangeError(`JetStream replicas must be a whole number from 1 to 5, not ${replicas}`);
  }
  replicasByConnection.set(nc, replicas);
}

export function jetStreamReplicas(nc: NatsConnection): number {
  return replicasByConnection.get(nc) ?? 1;
}

/**
 * Creates the stream, or brings an existing one to this configuration (replicas included: a
 * cluster scales an R1 stream to R3 in place); safe from every process at once. Retention and
 * storage cannot change on an existing stream and are left as they are.
 */
export async function ensureStream(nc: NatsConnection, spec: StreamSpec): Promise<void> {
  const jsm = await jetstreamManager(nc, { timeout: JETSTREAM_API_TIMEOUT_MS, checkAPI: false });
  const config: Partial<StreamConfig> & { name: string } = { ...spec, num_replicas: jetStreamReplicas(nc) };
  try {
    await jsm.streams.info(config.name);
  } catch (error) {
    if (!(error instanceof JetStreamApiError && error.code === STREAM_NOT_FOUND)) throw error;
    try {
      await jsm.streams.add(config);
      return;
    } catch {
      // Created by another process meanwhile: fall through to the update.
    }
  }
  const { name, retention: _retention, storage: _storage, ...updatable } = config;
  await jsm.streams.update(name, updatable);
}
