import { Objm, type ObjectStore, type ObjectStoreOptions } from '@nats-io/obj';
import type { NatsConnection } from '@nats-io/transport-node';
import { jetStreamReplicas } from './jetstream.storage.js';

export type { ObjectStore } from '@nats-io/obj';

/**
 * Opens a JetStream Object Store bucket with file storage and the connection's replica count,
 * creating it when missing, so an artefact outlives a NATS restart (or, replicated, the loss of
 * a node). Writers and readers both call this; neither starts first.
 */
export function openObjectStore(nc: NatsConnection, bucket: string): Promise<ObjectStore> {
  // StorageType is a string enum of @nats-io/jetstream; 'file' is its value for disk.
  const storage = 'file' as ObjectStoreOptions['storage'];
  return new Objm(nc).create(bucket, { storage, replicas: jetStreamReplicas(nc) });
}
