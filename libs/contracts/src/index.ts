export { CacheOutcomes } from './cache.js';
export { canonicalInputs, PREDICTION_KEY, predictionKey } from './prediction-key.js';
export type { CacheLookupReply, CacheOutcome, CacheStoreRequest } from './cache.js';
export { DataCacheOutcomes, isItemId, ITEM_ID_PARAMETER, itemKey, ItemStore } from './items.js';
export type { DataCacheOutcome, ItemReply, ItemRequest, StoredItem } from './items.js';
export { DATATYPES, DatatypeSchema, TensorSpecSchema } from './datatypes.js';
export type { Datatype, TensorSpec } from './datatypes.js';
export { deadlineIn, parseDeadline, remainingMs } from './deadline.js';
export { ErrorCode, isErrorCode, MspError } from './errors.js';
export type { ErrorBody } from './errors.js';
export {
  IRIS_LABELS,
  MANIFEST_FILE,
  MNIST_LABELS,
  MODEL_NAMES,
  ModelManifestSchema,
  TrainingReferenceSchema,
} from './manifest.schema.js';
export type { ModelManifest, ModelName, TrainingReference } from './manifest.schema.js';
export { InferInputSchema, InferRequestSchema, ModelMetadataSchema, RequestedOutputSchema } from './oip.schema.js';
export type {
  InferRequest,
  InferResponse,
  InferTensor,
  ModelMetadata,
  ServerMetadata,
  TensorData,
} from './oip.schema.js';
export { ARTEFACT_DIGEST_HEADER, ArtefactReplySchema } from './artefact.js';
export type { ArtefactReply } from './artefact.js';
export type { Topology, TopologyInstance } from './topology.js';
export { decodePredictorMetadata, encodePredictorMetadata } from './predictor-metadata.js';
export type { PredictorModel } from './predictor-metadata.js';
export {
  ContentTypes,
  Headers,
  PredictorMetadataKeys,
  QueueGroups,
  ServiceNames,
  Subjects,
  subjectTemplate,
} from './subjects.js';
export { float16Bits, float16Value } from './float16.js';
export { IMAGE_FEATURES, imageRowStatistics, imageSide, imageStatistics } from './image-statistics.js';
export {
  decodeInferRequest,
  decodeInferResponse,
  decodeTensorMessage,
  encodeInferRequest,
  encodeInferResponse,
  encodeTensorMessage,
  TENSOR_CODEC_VERSION,
} from './tensor.codec.js';
export type {
  DecodedTensorMessage,
  TensorDecodeOptions,
  TensorEncodeOptions,
  WireInferRequest,
  WireInferResponse,
  WireTensor,
  TypedTensorData,
  WireTensorData,
} from './tensor.codec.js';
export {
  checkAgainstModel,
  checkTensorAgainstSpec,
  elementCount,
  formatShape,
  itemIdOf,
  parseInferRequest,
} from './tensor.validation.js';
export type { TensorHead } from './tensor.validation.js';
export {
  DEFAULT_JOBS_NAMESPACE,
  IDEMPOTENCY_KEY,
  IDEMPOTENCY_KEY_HEADER,
  isJobId,
  isJobsNamespace,
  isTerminalStatus,
  JOB_ID,
  JOB_STATUSES,
  JobHeaders,
  JobMessageSchema,
  jobQueueNames,
} from './jobs.js';
export type { DeadLetter, JobMessage, JobQueueNames, JobStatus } from './jobs.js';
export {
  artefactName,
  Registry,
  RELEASE_STATUSES,
  ReleaseRecordSchema,
  releaseKey,
  Routing,
  RoutingPolicySchema,
  TrialSchema,
  REGISTRY_VERSION,
} from './registry.js';
export type { ReleaseRecord, ReleaseStatus, RoutingPolicy, Trial } from './registry.js';
export {
  ALERT_KINDS,
  EXPERIMENT_SIDES,
  ExperimentSubjects,
  FeedbackSchema,
  AlertStates,
  MonitoringSubjects,
  LogQuerySchema,
  LogQueueGroup,
  LogServiceName,
  LogSubjects,
  PREDICTION_PATTERNS,
  PredictionLogStream,
  PredictionRecordSchema,
} from './prediction-log.js';
export type {
  AlertEvent,
  AbReport,
  AbVariantFigures,
  AlertKind,
  ExperimentSide,
  ExperimentTag,
  Feedback,
  LoggedPrediction,
  LogQuery,
  MonitoringView,
  PredictionPattern,
  PredictionRecord,
  ShadowReport,
  SideFigures,
} from './prediction-log.js';
export { PARAMETER_NAMES, ParameterRecordSchema, Parameters, parseParameter } from './parameters.js';
export type { ParameterRecord } from './parameters.js';
export { ArmFiguresSchema, ROLLOUT_STATES, RolloutRecordSchema, Rollouts, RolloutStepSchema } from './rollouts.js';
export type { ArmFigures, RolloutRecord, RolloutState, RolloutStep } from './rollouts.js';
export { inboxPrefixOf, natsUsers, PREDICTOR_GROUPS, predictorUser } from './nats-users.js';
export type { NatsPermissionSettings, NatsUser } from './nats-users.js';
export {
  NATS_AUTH_CONFIG_FILE,
  NATS_BASE_CONFIG_FILE,
  NATS_LIVENESS,
  natsAuthConfig,
  natsBaseConfig,
  natsPasswordVariable,
} from './nats-server.config.js';
export type { AuthConfigOptions } from './nats-server.config.js';
