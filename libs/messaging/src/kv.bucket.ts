import { JetStreamApiCodes, JetStreamApiError } from '@nats-io/jetstream';
import { Kvm, type KV, type KvOptions } from '@nats-io/kv';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetStreamReplicas } from './jetstream.storage.js';

export type { KV } from '@nats-io/kv';

export interface KvBucketOptions {
  /** Revisions kept per key. */
  history: number;
}

/**
 * Opens a JetStream KV bucket with file storage and the connection's replica count, creating it
 * when missing. Writers and readers both call this with the same options (from contracts), so
 * neither has to start first; a bucket that exists is opened as it is.
 */
export function openKvBucket(nc: NatsConnection, bucket: string, options: KvBucketOptions): Promise<KV> {
  // StorageType is a string enum of @nats-io/jetstream; 'file' is its value for disk.
  const storage = 'file' as KvOptions['storage'];
  return new Kvm(nc).create(bucket, { history: options.history, storage, replicas: jetStreamReplicas(nc) });
}

/**
 * Whether a KV `create` or `update` lost a compare-and-set: the key exists already, or changed
 * since the revision the writer read (another writer won). Any other failure is not a lost race.
 */
export function isRevisionConflict(error: unknown): boolean {
  return (
    error instanceof JetStreamApiError &&
    (error.code === JetStreamApiCodes.StreamWrongLastSequence || error.code === JetStreamApiCodes.StreamWrongLastSequenceUnknown)
  );
}
