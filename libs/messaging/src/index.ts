export { discoverAllServices, discoverServices } from './discovery.js';
export {
  ensureStream,
  isTransientJetStreamError,
  JETSTREAM_API_TIMEOUT_MS,
  JETSTREAM_SETUP_DEADLINE_MS,
  jetStreamReplicas,
  retryJetStreamSetup,
  setJetStreamReplicas,
} from './jetstream.storage.js';
export type { StreamSpec } from './jetstream.storage.js';
export { isRevisionConflict, openKvBucket } from './kv.bucket.js';
export type { KV, KvBucketOptions } from './kv.bucket.js';
export { openObjectStore } from './object.store.js';
export type { ObjectStore } from './object.store.js';
export { MessagingModule, NATS_CONNECTION } from './messaging.module.js';
export { addEndpoint, addMicroService } from './micro.service.js';
export type { BodyDecoding, BodyEncoding, EndpointConfig, EndpointHandler, EndpointRequest, MicroServiceConfig } from './micro.service.js';
export { NatsBus } from './nats.bus.js';
export type { BusRequestOptions, BusTensorRequestOptions } from './nats.bus.js';
export { connectNats, natsAuthOptions, NatsConnectionState } from './nats.connection.js';
export type { NatsOptions, NatsUserCredentials } from './nats.connection.js';
export { fromRequestError, isNoResponders } from './nats.errors.js';
export { NatsExceptionFilter } from './nats-exception.filter.js';
export { NatsRequestContext } from './nats-request.context.js';
export { connectNatsService, startNatsService } from './nats-service.boot.js';
export { NatsServiceModule } from './nats-service.module.js';
export type { NatsServiceModuleOptions } from './nats-service.module.js';
export { NatsReadiness, NatsTransport } from './nats.transport.js';
export type { EndpointSpec, NatsConsumer, NatsServiceOptions, NatsServiceUnit } from './nats.transport.js';
export type { NatsConnection } from '@nats-io/transport-node';
export type { Service, ServiceInfo, ServiceStats } from '@nats-io/services';
