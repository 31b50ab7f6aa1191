import { ItemStore } from './items.js';
import { DEFAULT_JOBS_NAMESPACE, jobQueueNames } from './jobs.js';
import { MODEL_NAMES, type ModelName } from './manifest.schema.js';
import { Parameters } from './parameters.js';
import { AlertStates, ExperimentSubjects, LogQueueGroup, LogServiceName, LogSubjects, MonitoringSubjects, PredictionLogStream } from './prediction-log.js';
import { Registry, Routing } from './registry.js';
import { Rollouts } from './rollouts.js';
import { QueueGroups, ServiceNames, Subjects } from './subjects.js';

/**
 * Who may publish and subscribe what on NATS: one user per service, least privilege. This table
 * is the one source of truth; `natsAuthConfig` renders it for compose, k8s, `pnpm start
 * --secure` and the specs, and deploy-check compares the committed files with it.
 *
 * A subscribe entry may name a queue group after a space (`msp.infer.iris-mlp msp.predictor.iris-mlp`):
 * the user may then subscribe only in that group. Replies to the requests a service receives are
 * allowed by `allowResponses` (once per request), not by publish rights on anybody's inbox; every
 * user's own inbox is `_INBOX_<user>.>` (`inboxPrefixOf`), so no user can read another's replies.
 */
export interface NatsUser {
  /** NATS_USER of the service. */
  readonly user: string;
  /** What runs as this user. */
  readonly description: string;
  readonly publish: readonly string[];
  readonly subscribe: readonly string[];
  /** May answer the requests it receives (request-reply services). */
  readonly allowResponses: boolean;
}

export interface NatsPermissionSettings {
  /** The models whose predictors get a user each (`predictor-<model>`); default MODEL_NAMES. */
  models?: readonly string[];
  /** Multi-model predictors (`MODEL_NAMES`), a user each (`predictor-<group>`) with its models' rights; default PREDICTOR_GROUPS. */
  groups?: Readonly<Record<string, readonly string[]>>;
  /**
   * The jobs namespaces of the asynchronous pattern (JOBS_NAMESPACE of the gateways and workers);
   * default `msp` alone. Stream names cannot be wildcarded by token, so each namespace gets its
   * own rights rather than a wildcard that would open every stream.
   */
  jobsNamespaces?: readonly string[];
}

/** Where a user's request replies and JetStream deliveries arrive: its own inbox prefix. */
export function inboxPrefixOf(user: string): string {
  return `_INBOX_${user}`;
}

/**
 * The multi-model predictors of `pnpm start` and of compose's and k8s's multi-model pattern: the
 * iris models in one process, the digit models in another.
 */
export const PREDICTOR_GROUPS: { readonly iris: readonly ModelName[]; readonly mnist: readonly ModelName[] } = {
  iris: MODEL_NAMES.filter((model) => model.startsWith('iris-')),
  mnist: MODEL_NAMES.filter((model) => model.startsWith('mnist-')),
};

/** The NATS user a predictor of `model` (or of a group in PREDICTOR_GROUPS) connects as. */
export function predictorUser(modelOrGroup: string): string {
  return `predictor-${modelOrGroup}`;
}

const JS = '$JS.API';

/** Reading a stream or a KV / Object Store bucket: its info, direct gets and (ordered) consumers of one's own. */
function readStream(stream: string): string[] {
  return [
    `${JS}.STREAM.INFO.${stream}`,
    `${JS}.STREAM.MSG.GET.${stream}`,
    `${JS}.DIRECT.GET.${stream}`,
    `${JS}.DIRECT.GET.${stream}.>`,
    `${JS}.CONSUMER.CREATE.${stream}`,
    `${JS}.CONSUMER.CREATE.${stream}.>`,
    `${JS}.CONSUMER.INFO.${stream}.>`,
    `${JS}.CONSUMER.DELETE.${stream}.>`,
    `${JS}.CONSUMER.MSG.NEXT.${stream}.>`,
  ];
}

/** Creating (or updating to the contract's settings) a stream or bucket that may not exist yet, besides reading it. */
function ownStream(stream: string): string[] {
  return [...readStream(stream), `${JS}.STREAM.CREATE.${stream}`, `${JS}.STREAM.UPDATE.${stream}`, `${JS}.CONSUMER.DURABLE.CREATE.${stream}.>`];
}

const kvStream = (bucket: string): string => `KV_${bucket}`;
const objStream = (bucket: string): string => `OBJ_${bucket}`;

/** A KV bucket opened (created when missing) and read or watched. */
const readKv = (bucket: string): string[] => [...ownStream(kvStream(bucket)), `$JS.FC.${kvStream(bucket)}.>`];
/** …and written. */
const writeKv = (bucket: string): string[] => [...readKv(bucket), `$KV.${bucket}.>`];
/** An Object Store bucket opened and read. */
const readObjects = (bucket: string): string[] => [...ownStream(objStream(bucket)), `$JS.FC.${objStream(bucket)}.>`];

/** Every JetStream client asks for the account's JetStream info first. */
const JETSTREAM_CLIENT = [`${JS}.INFO`];

/** Discovering micro services: `$SRV.PING|INFO|STATS.<service>` requests, answered to one's inbox. */
const discover = (...services: string[]): string[] => services.map((service) => `$SRV.*.${service}`);

/** Being discoverable: a micro service listens on `$SRV.<verb>`, `.<name>` and `.<name>.<id>`. */
const discoverable = (service: string): string[] => ['$SRV.*', `$SRV.*.${service}`, `$SRV.*.${service}.*`];

/** Publishing prediction records (the stream is created by whoever publishes first). */
const predictionLog = (...subjects: string[]): string[] => [...ownStream(PredictionLogStream.name), ...subjects];

/** The users of a deployment, by service. */
export function natsUsers(settings: NatsPermissionSettings = {}): NatsUser[] {
  const models = settings.models ?? MODEL_NAMES;
  const queues = [...new Set(settings.jobsNamespaces ?? [DEFAULT_JOBS_NAMESPACE])].map((namespace) => jobQueueNames(namespace));
  const self = (user: string): string => `${inboxPrefixOf(user)}.>`;

  // A predictor may serve its models' subjects only; a multi-model one, each of its models'.
  const predictor = (user: string, served: readonly string[], description: string): NatsUser => ({
    user,
    description,
    publish: [
      ...JETSTREAM_CLIENT,
      ...predictionLog(...served.map((model) => PredictionLogStream.subject(model))),
      // model-load: the serving version from the registry, and release records watched.
      ...readKv(Registry.releases),
      ...readObjects(Registry.artefacts),
    ],
    subscribe: [
      ...served.flatMap((model) => [
        `${Subjects.infer(model)} ${QueueGroups.predictor(model)}`,
        `${Subjects.inferVersion(model, '*')} ${QueueGroups.predictor(model)}`,
        // Its own replica's subject (the gateway's outlier ejection picks replicas by it).
        `${Subjects.inferReplica(model, '*')} ${QueueGroups.predictor(model)}`,
        // Edge prediction: the ONNX file handed to the console.
        `${Subjects.artefact(model, '*')} ${QueueGroups.predictor(model)}`,
      ]),
      ...discoverable(ServiceNames.predictor),
      self(user),
    ],
    allowResponses: true,
  });
  const predictors = [
    ...models.map((model) => predictor(predictorUser(model), [model], `a predictor of ${model} (every replica, and the web-single server of it)`)),
    ...Object.entries(settings.groups ?? PREDICTOR_GROUPS).map(([group, served]) =>
      predictor(predictorUser(group), served, `a multi-model predictor of ${served.join(', ')} (MODEL_NAMES)`),
    ),
  ];

  return [
    {
      user: 'gateway',
      description: 'the gateway: requests to every service, job submits, the prediction log, routing and parameters read live',
      publish: [
        ...JETSTREAM_CLIENT,
        Subjects.infer('>'),
        Subjects.inferReplica('*', '*'),
        Subjects.prep('>'),
        Subjects.cacheLookup,
        Subjects.cacheStore,
        Subjects.cacheItem,
        LogSubjects.query,
        LogSubjects.feedback,
        ExperimentSubjects.report,
        MonitoringSubjects.view,
        ...discover(ServiceNames.predictor, ServiceNames.preprocess, ServiceNames.cache, LogServiceName),
        // The console: every service instance (GET /v1/topology) and a model's ONNX file.
        '$SRV.INFO',
        '$SRV.STATS',
        Subjects.artefact('*', '*'),
        ...queues.flatMap((jobs) => [...ownStream(jobs.stream), ...ownStream(jobs.deadStream), jobs.subjects]),
        ...predictionLog(PredictionLogStream.subjects),
        ...readKv(Routing.bucket),
        // Release records watched (GET /v2/models/{m} versions), and written when a rollout promotes a
        // version (no artefact is deleted: retention stays with `pnpm models`); the registry opens its artefact store too.
        ...writeKv(Registry.releases),
        ...readObjects(Registry.artefacts),
        // PUT /v1/parameters (behind MANAGEMENT_TOKEN) and rollouts write this bucket.
        ...writeKv(Parameters.bucket),
        // Metric-gated promotion records each step in the registry.
        ...writeKv(Rollouts.bucket),
      ],
      subscribe: [self('gateway')],
      allowResponses: false,
    },
    {
      user: 'worker',
      description: 'the asynchronous workers and `pnpm batch`: jobs pulled from JetStream, predictors asked, records logged',
      publish: [
        ...JETSTREAM_CLIENT,
        Subjects.infer('>'),
        ...discover(ServiceNames.predictor),
        ...queues.flatMap((jobs) => [...ownStream(jobs.stream), ...ownStream(jobs.deadStream), jobs.deadSubjects, `$JS.ACK.${jobs.stream}.>`]),
        ...predictionLog(PredictionLogStream.subjects),
      ],
      // Jobs that ran out of deliveries are dead-lettered from JetStream's advisory.
      subscribe: [
        ...queues.map((jobs) => `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${jobs.stream}.${jobs.consumer} ${jobs.consumer}-advisories`),
        self('worker'),
      ],
      allowResponses: false,
    },
    {
      user: 'preprocess',
      description: 'preprocess (prep-pred): images in, tensors out',
      publish: [],
      subscribe: [`${Subjects.prep('*')} ${QueueGroups.preprocess('*')}`, ...discoverable(ServiceNames.preprocess), self('preprocess')],
      allowResponses: true,
    },
    {
      user: 'cache',
      description: 'the prediction and data cache: lookups answered, items read from KV',
      publish: [...JETSTREAM_CLIENT, ...readKv(ItemStore.bucket)],
      subscribe: [
        `${Subjects.cacheLookup} ${QueueGroups.cache}`,
        `${Subjects.cacheStore} ${QueueGroups.cache}`,
        `${Subjects.cacheItem} ${QueueGroups.cache}`,
        ...discoverable(ServiceNames.cache),
        self('cache'),
      ],
      allowResponses: true,
    },
    {
      user: 'monitor',
      description: 'the monitor: the prediction log consumed and queried, alerts published',
      publish: [
        ...JETSTREAM_CLIENT,
        ...ownStream(PredictionLogStream.name),
        `$JS.ACK.${PredictionLogStream.name}.>`,
        MonitoringSubjects.alerts,
        // The alerts firing now, shared by the replicas (each start and end announced once).
        ...writeKv(AlertStates.bucket),
        ...discover(ServiceNames.predictor),
      ],
      subscribe: [
        `${LogSubjects.query} ${LogQueueGroup}`,
        `${LogSubjects.feedback} ${LogQueueGroup}`,
        `${ExperimentSubjects.report} ${LogQueueGroup}`,
        `${MonitoringSubjects.view} ${LogQueueGroup}`,
        ...discoverable(LogServiceName),
        self('monitor'),
      ],
      allowResponses: true,
    },
    {
      user: 'admin',
      description: 'operators’ tools: the trainer (registry releases), `pnpm models`, items:seed, `pnpm logs`; everything',
      publish: ['>'],
      subscribe: ['>'],
      allowResponses: false,
    },
    ...predictors,
  ];
}
