/**
 * Every NATS subject, queue group, service name and header of the project, declared once.
 * Model names are validated kebab-case (no dots or wildcards), so they are safe subject tokens.
 */
export const Subjects = {
  /** Request-reply inference on the model's default version. */
  infer: (model: string): string => `msp.infer.${model}`,
  /** Request-reply inference pinned to one version. */
  inferVersion: (model: string, version: string): string => `msp.infer.${model}.${version}`,
  /**
   * Request-reply inference at one replica only (its micro service id), beside the queue group:
   * the gateway picks the replica itself, so it can stop sending work to one that does not answer
   * (outlier ejection). A root of its own, as a version may hold dots (`msp.infer.<model>.1.2`).
   */
  inferReplica: (model: string, replicaId: string): string => `msp.infer-replica.${model}.${replicaId}`,
  /** The ONNX artefact one version's predictors run (`ArtefactReply`), for edge prediction in the console. */
  artefact: (model: string, version: string): string => `msp.artefact.${model}.${version}`,
  /** Request-reply preprocessing of one kind of input, e.g. `msp.prep.mnist` (prep-pred pattern). */
  prep: (kind: string): string => `msp.prep.${kind}`,
  /** Prediction cache (apps/cache): an OIP request in (model in headers), a CacheLookupReply out. */
  cacheLookup: 'msp.cache.lookup',
  /** Prediction cache: a CacheStoreRequest in, `{stored}` out. */
  cacheStore: 'msp.cache.store',
  /** Data cache (apps/cache): an ItemRequest in, an ItemReply out (Redis, else the KV store). */
  cacheItem: 'msp.cache.item',
} as const;

/**
 * A subject with its per-replica token as a placeholder (`msp.infer-replica.iris-mlp.{replica}`):
 * what span names carry, so they stay as few as the models however many replicas come and go.
 */
export function subjectTemplate(subject: string): string {
  return subject.startsWith('msp.infer-replica.') ? subject.replace(/^(msp\.infer-replica\.[^.]+)\..*$/, '$1.{replica}') : subject;
}

/** Replicas of one model share a queue group, so NATS spreads requests across them. */
export const QueueGroups = {
  predictor: (model: string): string => `msp.predictor.${model}`,
  preprocess: (kind: string): string => `msp.preprocess.${kind}`,
  cache: 'msp.cache',
} as const;

/** NATS micro service names (discovery through `$SRV.INFO.<name>`). */
export const ServiceNames = {
  predictor: 'msp-predictor',
  preprocess: 'msp-preprocess',
  cache: 'msp-cache',
} as const;

/** Keys of the metadata a predictor advertises in its micro service info. */
export const PredictorMetadataKeys = {
  model: 'model',
  version: 'version',
  platform: 'platform',
  /** JSON of TensorSpec[] */
  inputs: 'inputs',
  /** JSON of TensorSpec[] */
  outputs: 'outputs',
  /** JSON of string[] */
  labels: 'labels',
  owner: 'owner',
  description: 'description',
  /** JSON of the manifest's TrainingReference (tabular models), for prediction monitoring. */
  reference: 'reference',
} as const;

export const Headers = {
  requestId: 'Msp-Request-Id',
  /** Absolute deadline, epoch milliseconds; every hop derives its own timeout from it. */
  deadline: 'Msp-Deadline',
  traceparent: 'traceparent',
  contentType: 'Content-Type',
  /** The model (and version) a cache lookup is for; the version is part of the key. */
  model: 'Msp-Model',
  modelVersion: 'Msp-Model-Version',
} as const;

export const ContentTypes = {
  json: 'application/json',
  /** OIP requests and responses in the binary encoding of `tensor.codec.ts` (between services). */
  tensor: 'application/x-msp-tensor',
} as const;
