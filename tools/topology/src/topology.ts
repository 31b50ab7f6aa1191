import { PREDICTOR_GROUPS, type ModelName } from '@msp/contracts';
import { colourWanted } from './ansi.js';
import { DEFAULT_NATS_URL } from './infra.js';
import { findFreePort, isPortOpen } from './port.js';
import { natsUserOf } from './secure-nats.js';
import { appEntry, modelsDir, type AppName } from './repo-paths.js';
import {
  labelled,
  ServiceExitedError,
  startService,
  stdoutSink,
  type LineSink,
  type ReadinessCheck,
  type ServiceProcess,
} from './service-process.js';

/** The HTTP ports a topology may need, by role. */
export type PortName = 'gateway' | 'gateway2' | 'webSingle';

export const DEFAULT_PORTS: Readonly<Record<PortName, number>> = { gateway: 8080, gateway2: 8082, webSingle: 8081 };

/** One service of a topology: which app, which model, which port; env follows from these. */
export interface ServiceDefinition {
  /** Unique within the topology: the log label and the key of its handle. */
  name: string;
  app: 'gateway' | 'predictor' | 'worker' | 'preprocess' | 'cache' | 'monitor';
  /** The models a predictor serves: one (`MODEL_NAME`) or several in one process (`MODEL_NAMES`). */
  models?: readonly ModelName[];
  /** The port it serves HTTP on: the gateway's `PORT`, a predictor's `HTTP_PORT`. */
  http?: PortName;
  env?: Readonly<Record<string, string>>;
}

export interface TopologyDefinition {
  description: string;
  services: readonly ServiceDefinition[];
  /** `pnpm start` seeds the data cache's item store (`pnpm items:seed`) before the services start. */
  seedsItems?: boolean;
}

const gateway: ServiceDefinition = { name: 'gateway', app: 'gateway', http: 'gateway' };

const predictor = (model: ModelName): ServiceDefinition => ({ name: `predictor-${model}`, app: 'predictor', models: [model] });

const webSinglePredictor: ServiceDefinition = { name: 'web-single', app: 'predictor', models: ['iris-mlp'], http: 'webSingle' };

/**
 * Multi-model predictors (`MODEL_NAMES`), where a process per model would only cost memory: the
 * iris models in one process, the digit models in another — each model still has its own
 * subjects, queue group and discovery entry. Two groups, not one, so a CNN run (the slowest
 * model) never holds up the iris models on the same event loop.
 */
const predictorGroup = (group: string, models: readonly ModelName[]): ServiceDefinition => ({
  name: `predictor-${group}`,
  app: 'predictor',
  models,
});
const modelPredictors: readonly ServiceDefinition[] = [predictorGroup('iris', PREDICTOR_GROUPS.iris), predictorGroup('mnist', PREDICTOR_GROUPS.mnist)];

const synchronous: TopologyDefinition = {
  description: 'gateway → NATS request-reply → multi-model predictors (iris models in one, mnist in another)',
  services: [gateway, ...modelPredictors],
};

/** A worker of the asynchronous pattern: pulls jobs from JetStream, calls predictors, stores results in Redis. */
const worker = (n: number): ServiceDefinition => ({ name: `worker-${n}`, app: 'worker' });

const asynchronous: TopologyDefinition = {
  description: 'gateway → JetStream job queue → 2 workers → NATS request-reply → multi-model predictors; job state in Redis',
  services: [gateway, ...modelPredictors, worker(1), worker(2)],
};

/** A preprocess service (prep-pred): encoded images → tensors on `msp.prep.mnist`; replicas share its queue group. */
const preprocess = (name = 'preprocess'): ServiceDefinition => ({ name, app: 'preprocess' });

const prepPred: TopologyDefinition = {
  description: 'gateway → NATS → 2 preprocess replicas (image → tensor) → NATS → mnist predictors; mnist-image is the pipeline',
  services: [gateway, preprocess('preprocess-1'), preprocess('preprocess-2'), predictorGroup('mnist', PREDICTOR_GROUPS.mnist)],
};

/** The prediction cache (apps/cache) in front of Redis; the gateway asks it for the models in CACHE_MODELS. */
const cache: ServiceDefinition = { name: 'cache', app: 'cache' };

const predictionCache: TopologyDefinition = {
  description: 'gateway (CACHE_MODELS=*) → NATS → cache (Redis) on a hit, else → multi-model predictors',
  services: [{ ...gateway, env: { CACHE_MODELS: '*' } }, cache, ...modelPredictors],
};

/** Inputs by `parameters.item_id`: the cache service fetches them (Redis, else the `msp-items` KV bucket). */
const dataCache: TopologyDefinition = {
  description: 'gateway → NATS → cache (item by id: Redis, else JetStream KV msp-items, seeded at start) → multi-model predictors',
  services: [gateway, cache, ...modelPredictors],
  seedsItems: true,
};

/**
 * iris-mlp twice on NATS: `predictor-iris-mlp` and the web-single predictor (which also serves
 * `msp.infer.iris-mlp`) share its queue group, so one of them can be killed under load and the
 * gateway fails over to the other (circuit-break pattern).
 */
const circuitBreak: TopologyDefinition = {
  description: 'gateway (breakers, shedding, failover; iris-mlp falls back to iris-softmax) → two iris-mlp replicas and iris-softmax',
  services: [
    { ...gateway, env: { FALLBACK_MODELS: 'iris-mlp=iris-softmax' } },
    predictor('iris-mlp'),
    { ...predictor('iris-mlp'), name: 'predictor-iris-mlp-2' },
    predictor('iris-softmax'),
  ],
};

/**
 * Model-load: the iris-mlp predictor loads the serving version from the registry (which `pnpm
 * start` fills from models/ when empty) and swaps each release in place — run `pnpm train
 * --model iris-mlp` beside it to see a version released, discovered and served.
 */
const trainingToServing: TopologyDefinition = {
  description: 'gateway → iris-mlp predictor loading the serving version from the registry (JetStream) and swapping releases in place',
  services: [gateway, { ...predictor('iris-mlp'), env: { MODEL_SOURCE: 'registry' } }],
};

/** The prediction log's store and the prediction monitor (apps/monitor): JetStream in, embedded PGlite (or LOG_DATABASE_URL) behind. */
const monitor: ServiceDefinition = { name: 'monitor', app: 'monitor' };

/**
 * Shadow AB: every iris-mlp request is mirrored to iris-softmax (experiments/shadow-ab.yaml);
 * clients see only iris-mlp; the monitor stores both sides for GET /v1/experiments/{id}.
 */
const shadowAb: TopologyDefinition = {
  description: 'gateway (EXPERIMENTS_FILE: iris-mlp mirrored to iris-softmax) → iris-mlp and iris-softmax; the monitor stores both answers',
  services: [{ ...gateway, env: { EXPERIMENTS_FILE: 'experiments/shadow-ab.yaml' } }, predictor('iris-mlp'), predictor('iris-softmax'), monitor],
};

/**
 * Online AB: clients call iris-ab, split 80/20 between iris-mlp and iris-softmax, sticky per
 * x-user-id (experiments/online-ab.yaml); the monitor joins feedback per variant.
 */
const onlineAb: TopologyDefinition = {
  description: 'gateway (EXPERIMENTS_FILE: iris-ab split 80/20 between iris-mlp and iris-softmax, sticky per x-user-id) → both; the monitor',
  services: [{ ...gateway, env: { EXPERIMENTS_FILE: 'experiments/online-ab.yaml' } }, predictor('iris-mlp'), predictor('iris-softmax'), monitor],
};

/**
 * Metric-gated promotion: clients call iris (experiments/promotion.yaml), answered by iris-mlp
 * until POST /v1/rollouts/iris-softmax-rollout/start moves them to iris-softmax step by step,
 * judged on the prediction log the monitor keeps.
 */
const promotion: TopologyDefinition = {
  description: 'gateway (EXPERIMENTS_FILE: iris served by iris-mlp, rollout iris-softmax-rollout: shadow → 5/25/50 % → promote) → both; the monitor judges each step',
  services: [{ ...gateway, env: { EXPERIMENTS_FILE: 'experiments/promotion.yaml' } }, predictor('iris-mlp'), predictor('iris-softmax'), monitor],
};

const webSingle: TopologyDefinition = {
  description: 'iris-mlp inside one web server (OIP REST in the predictor process)',
  services: [webSinglePredictor],
};

/**
 * Beyond one machine: two gateways (clients list both; job state, idempotency keys and time-lag
 * answers live in Redis, so either answers for the other), two iris-mlp replicas and two workers.
 * `pnpm start --cluster` runs it on a three-node NATS cluster with R3 streams and buckets.
 */
const cluster: TopologyDefinition = {
  description: 'two gateways → NATS cluster (R3 streams) → two iris-mlp replicas and iris-softmax; JetStream job queue → 2 workers; state in Redis',
  services: [
    gateway,
    { ...gateway, name: 'gateway-2', http: 'gateway2' },
    predictor('iris-mlp'),
    { ...predictor('iris-mlp'), name: 'predictor-iris-mlp-2' },
    predictor('iris-softmax'),
    worker(1),
    worker(2),
  ],
};

/** Every topology, by pattern name. Add a pattern here, not a branch in the code below. */
export const TOPOLOGIES = {
  synchronous,
  'web-single': webSingle,
  asynchronous,
  'prep-pred': prepPred,
  'prediction-cache': predictionCache,
  'data-cache': dataCache,
  'circuit-break': circuitBreak,
  'training-to-serving': trainingToServing,
  cluster,
  'shadow-ab': shadowAb,
  'online-ab': onlineAb,
  promotion,
  all: {
    description:
      'synchronous and web-single side by side (iris-mlp: two replicas on NATS), preprocess, 2 workers, the cache (for iris-trees, and items by id), the monitor (prediction log)',
    seedsItems: true,
    services: [
      // iris-trees is cached (README: a repeated request says `hit`); the other models are not, so
      // the specs that compare answers byte for byte see no cache parameters.
      { ...gateway, env: { CACHE_MODELS: 'iris-trees', FALLBACK_MODELS: 'iris-mlp=iris-softmax' } },
      ...synchronous.services.filter((service) => service !== gateway),
      ...webSingle.services,
      preprocess(),
      worker(1),
      worker(2),
      cache,
      monitor,
    ],
  },
} as const satisfies Record<string, TopologyDefinition>;

export type TopologyName = keyof typeof TOPOLOGIES;

export const TOPOLOGY_NAMES = Object.keys(TOPOLOGIES) as TopologyName[];

export function isTopologyName(name: string): name is TopologyName {
  return Object.hasOwn(TOPOLOGIES, name);
}

/**
 * How a service without HTTP of its own (a predictor, preprocess, a worker) says it is ready:
 * `GET /health/ready` on its ops port (`OPS_PORT`) answers 200 once every readiness condition
 * holds (model loaded, NATS connected, endpoints subscribed and flushed / consumer pulling).
 */
export function opsReadiness(opsPort: number, host = '127.0.0.1'): ReadinessCheck {
  return { kind: 'http', urls: [`http://${host}:${opsPort}/health/ready`] };
}

export interface TopologySettings {
  /** Ports by role; a port of 0 means "pick a free one". Defaults: gateway 8080, web-single 8081. */
  ports?: Partial<Record<PortName, number>>;
  natsUrl?: string;
  modelsDir?: string;
  /** Added to every service's environment (`undefined` removes a variable). */
  env?: Readonly<Record<string, string | undefined>>;
  /**
   * Ops ports (`OPS_PORT`: /health/ready, /metrics) of the services without HTTP of their own, by
   * service name; readiness is read there. `startTopology` picks free ones.
   */
  opsPorts?: Readonly<Record<string, number>>;
  /** Added to one service's environment, by service name, e.g. `{'predictor-iris-mlp': {FAULT_DELAY_MS: '300'}}`. */
  serviceEnv?: Readonly<Record<string, Readonly<Record<string, string | undefined>>>>;
  /**
   * Passwords of the NATS users (`startSecureNats`): each service then connects as its own user
   * (NATS_USER, NATS_PASSWORD; `natsUserOf`). Unset: anonymous.
   */
  natsPasswords?: Readonly<Record<string, string>>;
}

export interface TopologyOptions extends TopologySettings {
  /** How long all services together may take to become ready; default 120 s. */
  readyTimeoutMs?: number;
  /** How long `stop()` waits after SIGTERM before SIGKILL; default 10 s. */
  stopTimeoutMs?: number;
  /** Service output; default this process's stdout, `false` for quiet (crashes are still reported). */
  output?: LineSink | false;
  colour?: boolean;
  /** Start services in their own process group (what `pnpm start` does; see `ServiceOptions`). */
  detached?: boolean;
  /** Aborting stops the start-up (and the services started so far). */
  signal?: AbortSignal;
  /** Where an app's built entry is; default `apps/<app>/dist/main.js`. Tests substitute stand-ins. */
  appEntry?: (app: AppName) => string;
}

/** A service of a topology with everything resolved: its env and how to tell it is ready. */
export interface PlannedService {
  name: string;
  app: ServiceDefinition['app'];
  env: Record<string, string | undefined>;
  ready: ReadinessCheck;
}

export interface TopologyPlan {
  name: TopologyName;
  /** Base URLs of the HTTP services, by role (only those in this topology). */
  urls: Partial<Record<PortName, string>>;
  /** The models the topology's predictors serve. */
  models: ModelName[];
  services: PlannedService[];
}

/**
 * What `startTopology` would start, without starting anything. `ports` must be resolved (no 0):
 * `startTopology` picks free ports before it plans.
 */
export function planTopology(name: TopologyName, settings: TopologySettings = {}): TopologyPlan {
  const { services } = TOPOLOGIES[name];
  const ports = { ...DEFAULT_PORTS, ...settings.ports };
  const urls: Partial<Record<PortName, string>> = {};
  for (const service of services) {
    if (service.http) urls[service.http] = `http://127.0.0.1:${ports[service.http]}`;
  }
  const models = [...new Set(services.flatMap((service) => service.models ?? []))];
  const natsUrl = settings.natsUrl ?? DEFAULT_NATS_URL;

  return {
    name,
    urls,
    models,
    services: services.map((service) => {
      const url = service.http ? urls[service.http] : undefined;
      const opsPort = url ? undefined : (settings.opsPorts?.[service.name] ?? 0);
      const appEnv =
        service.app === 'gateway'
          ? { PORT: service.http ? String(ports[service.http]) : undefined, NATS_URL: natsUrl }
          : service.app === 'worker' || service.app === 'preprocess' || service.app === 'cache' || service.app === 'monitor'
            ? { NATS_URL: natsUrl }
            : {
                ...modelEnv(service.models ?? []),
                MODELS_DIR: settings.modelsDir ?? modelsDir(),
                NATS_URL: natsUrl,
                // Cleared unless set here, so an HTTP_PORT in the caller's env cannot reach every predictor.
                HTTP_PORT: service.http ? String(ports[service.http]) : undefined,
              };
      return {
        name: service.name,
        app: service.app,
        env: {
          ...appEnv,
          ...natsCredentialsEnv(service, settings.natsPasswords),
          ...(opsPort === undefined ? {} : { OPS_PORT: String(opsPort) }),
          ...service.env,
          ...settings.env,
          ...settings.serviceEnv?.[service.name],
        },
        ready: readinessOf(service, url, models, opsPort),
      };
    }),
  };
}

/** One model: `MODEL_NAME`; several in one process: `MODEL_NAMES` (the other cleared, so the caller's env cannot add one). */
function modelEnv(models: readonly ModelName[]): Record<string, string | undefined> {
  return models.length === 1 ? { MODEL_NAME: models[0], MODEL_NAMES: undefined } : { MODEL_NAME: undefined, MODEL_NAMES: models.join(',') };
}

function natsCredentialsEnv(service: ServiceDefinition, passwords: Readonly<Record<string, string>> | undefined): Record<string, string> {
  if (passwords === undefined) return {};
  const user = natsUserOf(service);
  const password = passwords[user];
  if (password === undefined) throw new Error(`no password for NATS user ${user} (service ${service.name})`);
  return { NATS_USER: user, NATS_PASSWORD: password };
}

function readinessOf(
  service: ServiceDefinition,
  url: string | undefined,
  models: readonly ModelName[],
  opsPort: number | undefined,
): ReadinessCheck {
  if (service.app === 'gateway' && url) {
    // Ready for clients only once every model of the topology is discoverable through it.
    return { kind: 'http', urls: [`${url}/v2/health/ready`, ...models.map((model) => `${url}/v2/models/${model}`)] };
  }
  if (url) return { kind: 'http', urls: [`${url}/v2/health/ready`] };
  return opsReadiness(opsPort ?? 0);
}

/** A running topology. */
export interface RunningTopology {
  readonly name: TopologyName;
  /** Where clients go: the gateway, or the web-single predictor in a topology without one. */
  readonly baseUrl: string;
  readonly urls: Readonly<Partial<Record<PortName, string>>>;
  readonly models: readonly ModelName[];
  /** Every service by name (`gateway`, `predictor-<model or group>`, `web-single`). */
  readonly services: ReadonlyMap<string, ServiceProcess>;
  /** One service by name; throws for an unknown name. */
  service(name: string): ServiceProcess;
  /** The NATS predictor serving `model` (`predictor-<model>`, or a multi-model `predictor-<group>`); throws when none does. */
  predictorOf(model: string): ServiceProcess;
  /** Stops one service (if it still runs), starts it again and waits until it is ready. */
  restart(name: string): Promise<ServiceProcess>;
  /** Stops every service (SIGTERM, then SIGKILL); safe to call more than once. */
  stop(): Promise<void>;
}

/**
 * Starts a topology's services and resolves once every one is ready (the gateway: health and
 * every model; an HTTP predictor: its health; every other service: /health/ready on its ops port). If a
 * service dies or the time runs out, everything started is stopped and the error names the
 * service with its last log lines.
 */
export async function startTopology(name: TopologyName, options: TopologyOptions = {}): Promise<RunningTopology> {
  const started = Date.now();
  const colour = options.colour ?? colourWanted(process.stdout);
  const sink = options.output ?? stdoutSink;
  const say = (text: string): void => {
    if (sink) sink(labelled('topology', text, colour));
  };
  const plan = planTopology(name, {
    ...options,
    ports: await resolvePorts(name, options.ports),
    opsPorts: await resolveOpsPorts(name, options.opsPorts),
  });
  await assertPortsFree(plan.urls);

  const serviceOptions = { output: options.output, colour, detached: options.detached };
  const entryOf = options.appEntry ?? appEntry;
  const launch = (planned: PlannedService): ServiceProcess =>
    startService(
      { name: planned.name, command: process.execPath, args: [entryOf(planned.app)], env: planned.env },
      serviceOptions,
    );
  const readyTimeoutMs = options.readyTimeoutMs ?? 120_000;
  const services = new Map<string, ServiceProcess>();
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    stopping ??= Promise.all([...services.values()].map((service) => service.stop({ timeoutMs: options.stopTimeoutMs }))).then(
      () => undefined,
    );
    return stopping;
  };

  say(`starting "${name}" (${TOPOLOGIES[name].description}): ${plan.services.map((service) => service.name).join(', ')}`);
  try {
    const starting: Starting[] = [];
    for (const planned of plan.services) {
      const service = launch(planned);
      services.set(planned.name, service);
      starting.push({ service, ready: planned.ready });
    }
    await untilAllReady(starting, { timeoutMs: readyTimeoutMs, signal: options.signal });
  } catch (error) {
    await stop();
    throw error;
  }
  say(`"${name}" is ready after ${((Date.now() - started) / 1000).toFixed(1)} s`);

  const service = (serviceName: string): ServiceProcess => {
    const found = services.get(serviceName);
    if (!found) throw new Error(`no service "${serviceName}" in topology "${name}"; it has ${[...services.keys()].join(', ')}`);
    return found;
  };
  return {
    name,
    baseUrl: plan.urls.gateway ?? plan.urls.webSingle ?? '',
    urls: plan.urls,
    models: plan.models,
    services,
    service,
    predictorOf(model) {
      const definition = TOPOLOGIES[name].services.find(
        (candidate: ServiceDefinition) => candidate.app === 'predictor' && !candidate.http && (candidate.models as readonly string[] | undefined)?.includes(model) === true,
      );
      if (!definition) throw new Error(`no NATS predictor serves ${model} in topology "${name}"`);
      return service(definition.name);
    },
    async restart(serviceName) {
      const planned = plan.services.find((candidate) => candidate.name === serviceName);
      if (!planned) throw new Error(`no service "${serviceName}" in topology "${name}"`);
      await service(serviceName).stop({ timeoutMs: options.stopTimeoutMs });
      const fresh = launch(planned);
      services.set(planned.name, fresh);
      await fresh.waitUntilReady(planned.ready, { timeoutMs: readyTimeoutMs });
      return fresh;
    },
    stop,
  };
}

interface Starting {
  service: ServiceProcess;
  ready: ReadinessCheck;
}

/** Waits for every service's readiness; the first unexpected exit of any of them fails it at once. */
async function untilAllReady(starting: readonly Starting[], wait: { timeoutMs: number; signal: AbortSignal | undefined }): Promise<void> {
  const unsubscribe: (() => void)[] = [];
  const anyExit = new Promise<never>((_, reject) => {
    for (const { service } of starting) {
      unsubscribe.push(
        service.onExit((exit) => {
          if (!exit.expected) reject(new ServiceExitedError(service.name, exit, service.lastLines()));
        }),
      );
    }
  });
  try {
    await Promise.race([anyExit, Promise.all(starting.map(({ service, ready }) => service.waitUntilReady(ready, wait)))]);
  } finally {
    for (const off of unsubscribe) off();
  }
}

async function resolvePorts(
  name: TopologyName,
  requested: Partial<Record<PortName, number>> = {},
): Promise<Partial<Record<PortName, number>>> {
  const ports: Partial<Record<PortName, number>> = {};
  for (const service of TOPOLOGIES[name].services) {
    if (!service.http) continue;
    const port = requested[service.http] ?? DEFAULT_PORTS[service.http];
    ports[service.http] = port === 0 ? await findFreePort() : port;
  }
  return ports;
}

/** A free ops port for every service without HTTP of its own, unless the caller chose one. */
async function resolveOpsPorts(name: TopologyName, requested: Readonly<Record<string, number>> = {}): Promise<Record<string, number>> {
  const ports: Record<string, number> = {};
  for (const service of TOPOLOGIES[name].services) {
    if (service.http) continue;
    const port = requested[service.name] ?? 0;
    ports[service.name] = port === 0 ? await findFreePort() : port;
  }
  return ports;
}

/** A service that cannot bind its port would fail late and obscurely, or an old one would answer for it. */
async function assertPortsFree(urls: Partial<Record<PortName, string>>): Promise<void> {
  for (const [role, url] of Object.entries(urls)) {
    const { hostname, port } = new URL(url);
    if (await isPortOpen({ host: hostname, port: Number(port) }, 500)) {
      throw new Error(`port ${port} (${role}) is already in use on ${hostname}: is another topology running? Choose another port.`);
    }
  }
}
