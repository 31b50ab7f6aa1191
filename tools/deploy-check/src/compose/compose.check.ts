import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { BATCH_ENTRY, isAppName, isKnownEnv, SERVING_APPS, type AppName } from '../app-env.js';
import { knownModels, predictorModels } from '../known-models.js';
import { IMAGE_GRAPHS_DIR, PATTERN_EXPECTATIONS, TOOLING_PROFILES } from '../patterns.js';
import type { CheckReport } from '../report.js';
import { isRecord } from '../yaml-load.js';
import { composeSchemaErrors } from './compose-schema.js';
import { interpolate } from './interpolate.js';

export interface ComposeContext {
  /** Where relative paths (build contexts, Dockerfiles) resolve. */
  root: string;
  /** The file name used in findings. */
  source: string;
  /** Stage names of the Dockerfile (for `build.target`). */
  dockerfileStages: readonly string[];
  /** Variables for `${VAR:-default}` interpolation; default none, so the file's defaults apply. */
  env?: Readonly<Record<string, string | undefined>>;
  /** Model names a predictor or the batch job may use (default: `knownModels(root)`). */
  models?: readonly string[];
}

/** One service as the checks see it, after YAML merge keys are resolved. */
export interface ComposeService {
  name: string;
  /** The app of ours it runs (from `build.args.APP`, or the `trainer` target), if any. */
  app?: AppName;
  image?: string;
  profiles: string[];
  env: Map<string, string>;
  ports: PortMapping[];
  /** `command` as a list (empty when the image's CMD applies). */
  command: string[];
  raw: Record<string, unknown>;
}

export interface PortMapping {
  hostIp?: string;
  published?: number;
  target: number;
}

export interface ComposeSummary {
  services: ComposeService[];
  /** Every profile named by a service. */
  profiles: string[];
}

/**
 * Checks a parsed compose document: the Compose schema, then what the schema cannot know —
 * references between services, profiles, our apps' env and models, images and ports, and the
 * per-pattern expectations. Problems go to `report`; the parsed services come back.
 */
export function checkCompose(parsed: unknown, context: ComposeContext, report: CheckReport): ComposeSummary {
  const { source } = context;
  const document = interpolate(parsed, context.env ?? {});
  const schemaErrors = composeSchemaErrors(document);
  for (const error of schemaErrors) report.problem(source, `Compose schema: ${error}`);
  if (schemaErrors.length === 0) report.ok(`${source}: valid against the Compose Specification schema`);
  if (!isRecord(document) || !isRecord(document['services'])) {
    report.problem(source, 'no services');
    return { services: [], profiles: [] };
  }

  const services = Object.entries(document['services']).flatMap(([name, raw]) =>
    isRecord(raw) ? [readService(name, raw)] : [],
  );
  const byName = new Map(services.map((service) => [service.name, service]));
  const declaredVolumes = new Set(isRecord(document['volumes']) ? Object.keys(document['volumes']) : []);
  const profiles = [...new Set(services.flatMap((service) => service.profiles))].sort();

  const models = context.models ?? knownModels(context.root);
  for (const service of services) {
    const where = `${source} services.${service.name}`;
    checkImage(service, context, where, report);
    checkEnv(service, models, where, report);
    checkDependencies(service, byName, where, report);
    checkUrlHosts(service, byName, where, report);
    checkVolumes(service, declaredVolumes, where, report);
    checkPorts(service, where, report);
    if (service.app && SERVING_APPS.includes(service.app)) checkServingApp(service, models, where, report);
  }
  checkPublishedPortsUnique(services, source, report);
  for (const profile of profiles) checkPattern(profile, services, source, report);
  report.ok(`${source}: ${services.length} services, profiles ${profiles.join(', ') || '(none)'}`);
  return { services, profiles };
}

function replicasOf(service: ComposeService): number {
  const deploy = service.raw['deploy'];
  return isRecord(deploy) && typeof deploy['replicas'] === 'number' ? deploy['replicas'] : 1;
}

/** Services started by `docker compose --profile <profile> up`. */
export function servicesOfProfile(services: readonly ComposeService[], profile: string): ComposeService[] {
  return services.filter((service) => service.profiles.length === 0 || service.profiles.includes(profile));
}

function readService(name: string, raw: Record<string, unknown>): ComposeService {
  const build = isRecord(raw['build']) ? raw['build'] : undefined;
  const args = build ? readEnvLike(build['args']) : new Map<string, string>();
  const appArg = args.get('APP');
  const app = appArg && isAppName(appArg) ? appArg : build?.['target'] === 'trainer' ? 'trainer' : undefined;
  return {
    name,
    ...(app ? { app } : {}),
    ...(typeof raw['image'] === 'string' ? { image: raw['image'] } : {}),
    profiles: Array.isArray(raw['profiles']) ? raw['profiles'].map(String) : [],
    env: readEnvLike(raw['environment']),
    ports: Array.isArray(raw['ports']) ? raw['ports'].flatMap((port) => parsePort(port) ?? []) : [],
    command: Array.isArray(raw['command']) ? raw['command'].map(String) : typeof raw['command'] === 'string' ? raw['command'].split(/\s+/) : [],
    raw,
  };
}

/** `environment` / `args` as a map or a `NAME=value` list. */
function readEnvLike(value: unknown): Map<string, string> {
  const env = new Map<string, string>();
  if (Array.isArray(value)) {
    for (const item of value) {
      const [name, ...rest] = String(item).split('=');
      if (name) env.set(name, rest.join('='));
    }
  } else if (isRecord(value)) {
    for (const [name, item] of Object.entries(value)) env.set(name, item === null || item === undefined ? '' : String(item));
  }
  return env;
}

export function parsePort(value: unknown): PortMapping | undefined {
  if (typeof value === 'number') return { target: value };
  if (isRecord(value) && typeof value['target'] === 'number') {
    return {
      target: value['target'],
      ...(typeof value['published'] === 'number' ? { published: value['published'] } : {}),
      ...(typeof value['host_ip'] === 'string' ? { hostIp: value['host_ip'] } : {}),
    };
  }
  if (typeof value !== 'string') return undefined;
  const match = /^(?:(\[[^\]]+\]|\d+\.\d+\.\d+\.\d+):)?(?:(\d+):)?(\d+)(?:\/\w+)?$/.exec(value);
  if (!match) return undefined;
  return {
    target: Number(match[3]),
    ...(match[2] ? { published: Number(match[2]) } : {}),
    ...(match[1] ? { hostIp: match[1] } : {}),
  };
}

function checkImage(service: ComposeService, context: ComposeContext, where: string, report: CheckReport): void {
  const { raw } = service;
  const build = raw['build'];
  if (!service.image) {
    report.problem(where, 'no image: name one (built services need it so others can share the image)');
    return;
  }
  if (build === undefined) {
    // Third-party images: a pinned tag, never an implicit or explicit `latest`.
    const tag = /:([^/:@]+)$/.exec(service.image)?.[1];
    if (!tag || tag === 'latest') report.problem(where, `image ${service.image} has no pinned tag`);
    return;
  }
  if (!isRecord(build)) {
    report.problem(where, 'build must be the long form with context, dockerfile and args.APP or target');
    return;
  }
  const contextDir = join(context.root, String(build['context'] ?? '.'));
  const dockerfile = join(contextDir, String(build['dockerfile'] ?? 'Dockerfile'));
  if (!existsSync(dockerfile)) report.problem(where, `build: no Dockerfile at ${dockerfile}`);
  const target = build['target'];
  if (typeof target === 'string' && !context.dockerfileStages.includes(target)) {
    report.problem(where, `build.target ${target} is not a stage of the Dockerfile (${context.dockerfileStages.join(', ')})`);
  }
  if (!service.app) {
    report.problem(where, 'build has neither args.APP naming an app nor target: trainer');
    return;
  }
  if (service.app === 'trainer' && target !== 'trainer') {
    report.problem(where, 'the trainer is built with target: trainer, never as a serving image (APP=trainer)');
  }
  if (service.app !== 'trainer' && target !== undefined && target !== 'runtime') {
    report.problem(where, `a serving app must be built from the runtime stage, not ${String(target)}`);
  }
  if (!existsSync(join(context.root, 'apps', service.app, 'package.json'))) {
    report.problem(where, `build.args.APP=${service.app} but apps/${service.app} has no package.json`);
  }
  const imageName = service.image.replace(/:[^/:]*$/, '');
  if (!imageName.endsWith(`/${service.app}`)) {
    report.problem(where, `image ${service.image} does not name the app it is built from (${service.app})`);
  }
}

function checkEnv(service: ComposeService, models: readonly string[], where: string, report: CheckReport): void {
  const { app } = service;
  if (!app) return;
  for (const name of service.env.keys()) {
    if (!isKnownEnv(app, name)) report.problem(where, `environment ${name} is not read by the ${app}`);
  }
  if (app === 'predictor') {
    const served = predictorModels(service.env);
    if (served.length === 0) report.problem(where, 'a predictor needs MODEL_NAME (or MODEL_NAMES)');
    for (const model of served) {
      if (!models.includes(model)) report.problem(where, `${service.env.has('MODEL_NAME') ? 'MODEL_NAME' : 'MODEL_NAMES'} ${model} is not one of ${models.join(', ')}`);
    }
  }
}

function checkDependencies(
  service: ComposeService,
  byName: ReadonlyMap<string, ComposeService>,
  where: string,
  report: CheckReport,
): void {
  const dependsOn = service.raw['depends_on'];
  const entries: [string, string][] = Array.isArray(dependsOn)
    ? dependsOn.map((name) => [String(name), 'service_started'])
    : isRecord(dependsOn)
      ? Object.entries(dependsOn).map(([name, spec]) => [name, isRecord(spec) ? String(spec['condition']) : 'service_started'])
      : [];
  for (const [name, condition] of entries) {
    const target = byName.get(name);
    if (!target) {
      report.problem(where, `depends_on ${name}, which is not a service`);
      continue;
    }
    // Whenever this service is started, its dependency must be too.
    const enabledTogether =
      target.profiles.length === 0 ||
      (service.profiles.length > 0 && service.profiles.every((profile) => target.profiles.includes(profile)));
    if (!enabledTogether) {
      report.problem(where, `depends_on ${name}, which is not enabled in every profile of ${service.name} (${service.profiles.join(', ') || 'always'})`);
    }
    if (condition === 'service_healthy') {
      const healthcheck = target.raw['healthcheck'];
      if (!isRecord(healthcheck) || healthcheck['disable'] === true) {
        report.problem(where, `waits for ${name} to be healthy, but ${name} has no healthcheck`);
      }
    }
    if (condition === 'service_completed_successfully') {
      const restart = target.raw['restart'];
      if (restart !== undefined && restart !== 'no') {
        report.problem(where, `waits for ${name} to complete, but ${name} restarts (${String(restart)})`);
      }
    }
  }
}

function checkVolumes(service: ComposeService, declared: ReadonlySet<string>, where: string, report: CheckReport): void {
  const volumes = service.raw['volumes'];
  if (!Array.isArray(volumes)) return;
  for (const volume of volumes) {
    const [source, target, mode] = typeof volume === 'string' ? volume.split(':') : [];
    if (!source || !target) continue;
    const named = !source.startsWith('.') && !source.startsWith('/') && !source.startsWith('~');
    if (named && !declared.has(source)) report.problem(where, `volume ${source} is not declared under top-level volumes`);
    if (service.app === 'predictor' && target === '/models' && mode !== 'ro') {
      report.problem(where, 'predictors mount the models volume read-only (:ro)');
    }
  }
}

function checkPorts(service: ComposeService, where: string, report: CheckReport): void {
  const raw = service.raw['ports'];
  const count = Array.isArray(raw) ? raw.length : 0;
  if (count !== service.ports.length) report.problem(where, 'a port mapping could not be read');
  for (const port of service.ports) {
    if (port.target < 1 || port.target > 65_535 || (port.published !== undefined && (port.published < 1 || port.published > 65_535))) {
      report.problem(where, `port out of range: ${JSON.stringify(port)}`);
    }
  }
  if (!service.app) return; // third-party images: not ours to judge
  const listens = listenPort(service);
  if (service.ports.length > 0 && listens === undefined) {
    report.problem(where, 'publishes ports but serves no HTTP (a predictor needs HTTP_PORT)');
  }
  for (const port of service.ports) {
    if (listens !== undefined && port.target !== listens) {
      report.problem(where, `publishes container port ${port.target}, but the ${service.app ?? 'service'} listens on ${listens}`);
    }
  }
}

/** The HTTP port an app of ours listens on inside its container, if any. */
function listenPort(service: ComposeService): number | undefined {
  if (service.app === 'gateway') return Number(service.env.get('PORT') ?? 8080);
  if (service.app === 'predictor' && service.env.has('HTTP_PORT')) return Number(service.env.get('HTTP_PORT'));
  return undefined;
}

/** The worker image running its batch entry: a one-shot job, not a service. */
export function isBatchJob(service: ComposeService): boolean {
  return service.app === 'worker' && service.command.includes(BATCH_ENTRY);
}

/** A `--flag value` argument of a command line, or the variable that stands for it. */
export function batchModelOf(command: readonly string[], env: ReadonlyMap<string, string>): string | undefined {
  const index = command.indexOf('--model');
  return index >= 0 ? command[index + 1] : env.get('BATCH_MODEL');
}

function checkServingApp(service: ComposeService, models: readonly string[], where: string, report: CheckReport): void {
  const healthcheck = service.raw['healthcheck'];
  if (isBatchJob(service)) {
    // Resumes from <output>.checkpoint.json when rerun; restarting it by itself would loop on a usage error.
    const restart = service.raw['restart'];
    if (restart !== 'no') report.problem(where, `the batch job runs once: restart: "no" (has ${String(restart ?? 'unless-stopped from x-app')})`);
    for (const flag of ['--input', '--output']) {
      const variable = `BATCH_${flag.slice(2).toUpperCase()}`;
      if (!service.command.includes(flag) && !service.env.has(variable)) report.problem(where, `the batch job needs ${flag} or ${variable}`);
    }
    const model = batchModelOf(service.command, service.env);
    if (!model) report.problem(where, 'the batch job needs --model or BATCH_MODEL');
    else if (!models.includes(model)) report.problem(where, `batch model ${model} is not one of ${models.join(', ')}`);
  } else if (!isRecord(healthcheck)) {
    report.problem(where, 'a serving app needs a healthcheck (depends_on conditions rely on it)');
  }
  if (service.raw['read_only'] !== true) report.problem(where, 'a serving app runs with read_only: true');
  if (service.app === 'gateway' && service.env.get('HOST') !== '0.0.0.0') {
    report.problem(where, 'the gateway must listen on HOST=0.0.0.0 inside a container');
  }
}

/** Variables that name another service by URL: its host must be a service that runs alongside. */
const URL_VARIABLES = ['NATS_URL', 'REDIS_URL'];

function checkUrlHosts(service: ComposeService, byName: ReadonlyMap<string, ComposeService>, where: string, report: CheckReport): void {
  if (!service.app) return;
  for (const variable of URL_VARIABLES) {
    const value = service.env.get(variable);
    if (!value) continue;
    for (const host of urlHosts(value)) {
      const target = byName.get(host);
      if (!target) {
        report.problem(where, `${variable} names host ${host}, which is not a service`);
        continue;
      }
      const together = target.profiles.length === 0 || (service.profiles.length > 0 && service.profiles.every((profile) => target.profiles.includes(profile)));
      if (!together) report.problem(where, `${variable} names ${host}, which is not enabled in every profile of ${service.name}`);
    }
  }
}

/** Hosts of a URL or a comma-separated list of them (NATS_URL), e.g. `nats://nats:4222` → nats. */
export function urlHosts(value: string): string[] {
  return value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean)
    .flatMap((item) => {
      try {
        return [new URL(item.includes('://') ? item : `tcp://${item}`).hostname];
      } catch {
        return [];
      }
    });
}

function checkPublishedPortsUnique(services: readonly ComposeService[], source: string, report: CheckReport): void {
  const owners = new Map<number, string>();
  for (const service of services) {
    for (const port of service.ports) {
      if (port.published === undefined) continue;
      const owner = owners.get(port.published);
      if (owner) report.problem(`${source} services.${service.name}`, `host port ${port.published} is already published by ${owner}`);
      else owners.set(port.published, service.name);
    }
  }
}

function checkPattern(profile: string, services: readonly ComposeService[], source: string, report: CheckReport): void {
  const active = servicesOfProfile(services, profile);
  const where = `${source} profile ${profile}`;
  const expected = PATTERN_EXPECTATIONS[profile];
  if (TOOLING_PROFILES.includes(profile)) {
    report.ok(`${where}: tooling beside the patterns (${active.map((service) => service.name).join(', ')})`);
    return;
  }
  if (!expected) {
    report.warn(where, 'no expectations for this pattern in tools/deploy-check/src/patterns.ts');
    return;
  }
  const predictors = active.filter((service) => service.app === 'predictor');
  const served = new Set(predictors.flatMap((service) => predictorModels(service.env)));
  for (const model of expected.models ?? []) {
    if (!served.has(model)) report.problem(where, `no predictor serves ${model}`);
  }
  if (expected.gateway && !active.some((service) => service.app === 'gateway')) report.problem(where, 'no gateway');
  if (expected.httpPredictor) {
    const web = predictors.find(
      (service) => service.env.get('MODEL_NAME') === expected.httpPredictor && service.env.has('HTTP_PORT') && service.ports.length > 0,
    );
    if (!web) report.problem(where, `no predictor serves ${expected.httpPredictor} over a published HTTP_PORT`);
  }
  if (expected.redis && !active.some((service) => /(^|\/)redis:/.test(service.image ?? ''))) report.problem(where, 'no redis');
  if (expected.workers !== undefined) {
    const workers = active
      .filter((service) => service.app === 'worker' && !isBatchJob(service))
      .reduce((sum, service) => sum + replicasOf(service), 0);
    if (workers < expected.workers) report.problem(where, `${workers} asynchronous worker(s), the pattern needs ${expected.workers}`);
  }
  if (expected.preprocess && !active.some((service) => service.app === 'preprocess')) report.problem(where, 'no preprocess service');
  if (expected.cache && !active.some((service) => service.app === 'cache')) report.problem(where, 'no cache service');
  if (expected.monitor && !active.some((service) => service.app === 'monitor')) report.problem(where, 'no monitor service (prediction log)');
  if (expected.batchModel) {
    const job = active.find((service) => isBatchJob(service) && batchModelOf(service.command, service.env) === expected.batchModel);
    if (!job) report.problem(where, `no batch job (worker image, ${BATCH_ENTRY}) scores with ${expected.batchModel}`);
  }
  if (expected.graphs && expected.graphs.length > 0) {
    for (const gateway of active.filter((service) => service.app === 'gateway')) {
      if (gateway.env.get('GRAPHS_DIR') !== IMAGE_GRAPHS_DIR) {
        report.problem(where, `${gateway.name} serves graphs (${expected.graphs.join(', ')}): GRAPHS_DIR must be ${IMAGE_GRAPHS_DIR}, where the image carries them`);
      }
    }
  }
  report.ok(`${where}: ${active.map((service) => service.name).join(', ')}`);
}
