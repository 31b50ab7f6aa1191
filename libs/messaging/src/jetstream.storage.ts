import { JetStreamApiError, jetstreamManager, type StreamConfig } from '@nats-io/jetstream';
import type { NatsConnection } from '@nats-io/transport-node';

const STREAM_NOT_FOUND = 10059;
const JETSTREAM_NOT_AVAILABLE = 10008;

/** JetStream API calls made here (stream info, add, update) wait at most this long. */
export const JETSTREAM_API_TIMEOUT_MS = 5_000;

/**
 * How long set-up calls (stream and consumer create/update) keep retrying a JetStream that does
 * not answer in time. On a busy cluster an R3 create waits for a quorum to write it, and a
 * meta leader may be being elected: a timeout there is a reason to try again, not to exit.
 */
export const JETSTREAM_SETUP_DEADLINE_MS = 60_000;

/**
 * A timeout, no responders (no meta leader yet), "temporarily unavailable", or the connection
 * dropping mid-call (nats.js reconnects by itself; a monitor started while the server cut it off
 * exited on this): worth retrying.
 */
export function isTransientJetStreamError(error: unknown): boolean {
  if (error instanceof JetStreamApiError) return error.code === JETSTREAM_NOT_AVAILABLE;
  if (!(error instanceof Error)) return false;
  return error.name === 'TimeoutError' || error.name === 'NoRespondersError' || (error.name === 'RequestError' && error.message === 'connection disconnected');
}

/** Runs a JetStream set-up step until it succeeds, fails for good, or the deadline passes. */
export async function retryJetStreamSetup<T>(step: () => Promise<T>, deadlineMs = JETSTREAM_SETUP_DEADLINE_MS): Promise<T> {
  const until = Date.now() + deadlineMs;
  for (let attempt = 1; ; attempt++) {
    try {
      return await step();
    } catch (error) {
      if (!isTransientJetStreamError(error) || Date.now() >= until) throw error;
      await new Promise((resolve) => setTimeout(resolve, Math.min(250 * attempt, 2_000)));
    }
  }
}

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
 * storage cannot change on an existing stream and are left as they are. Retried while JetStream
 * is slow or electing a leader (JETSTREAM_SETUP_DEADLINE_MS).
 */
export function ensureStream(nc: NatsConnection, spec: StreamSpec): Promise<void> {
  return retryJetStreamSetup(() => upsertStream(nc, spec));
}

async function upsertStream(nc: NatsConnection, spec: StreamSpec): Promise<void> {
  const jsm = await jetstreamManager(nc, { timeout: JETSTREAM_API_TIMEOUT_MS, checkAPI: false });
  const config: Partial<StreamConfig> & { name: string } = { ...spec, num_replicas: jetStreamReplicas(nc) };
  try {
    await jsm.streams.info(config.name);
  } catch (error) {
    if (!(error instanceof JetStreamApiError && error.code === STREAM_NOT_FOUND)) throw error;
    try {
      await jsm.streams.add(config);
      return;
    } catch (added) {
      if (isTransientJetStreamError(added)) throw added;
      // Created by another process meanwhile: fall through to the update.
    }
  }
  const { name, retention: _retention, storage: _storage, ...updatable } = config;
  await jsm.streams.update(name, updatable);
}
