import { readdirSync, readFileSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { BATCH_ENTRY, isAppName, isKnownEnv, SERVING_APPS, type AppName } from '../app-env.js';
import { urlHosts } from '../compose/compose.check.js';
import { knownModels, predictorModels } from '../known-models.js';
import { IMAGE_GRAPHS_DIR, PATTERN_EXPECTATIONS } from '../patterns.js';
import type { CheckReport } from '../report.js';
import { isRecord, parseYamlDocuments } from '../yaml-load.js';
import { KubectlMissingError, kustomizationFile, kustomize } from './kubectl-kustomize.js';
import { isK8sObject, objectId, validateK8sObject, type K8sObject } from './k8s-validate.js';
import { containersOf, podSpecOf, podTemplateOf } from './workload.js';

export interface K8sSummary {
  /** Rendered objects of each overlay (`kubectl kustomize`), by pattern name. */
  overlays: Map<string, K8sObject[]>;
  /** False when kubectl is missing: nothing was rendered, so the overlays are unknown. */
  rendered: boolean;
}

export interface K8sCheckOptions {
  /** The kubectl binary (default `$KUBECTL` or `kubectl`). */
  kubectl?: string;
  /** Model names a predictor may serve (default: `knownModels(root)`). */
  models?: readonly string[];
}

const REQUIRED_LABELS = ['app.kubernetes.io/name', 'app.kubernetes.io/part-of'];

/**
 * Checks the k8s/ tree: every kustomization that no other one includes renders with `kubectl
 * kustomize` (so every one is rendered through some root), no YAML file is orphaned, base is
 * namespace-less, every object of every base file and of every rendered overlay is a valid
 * Kubernetes object, and each overlay is consistent in itself (selectors, ports, probes, env,
 * volumes, security, its pattern's services). Without kubectl this is one problem saying how to
 * install it: a k8s tree that was not rendered is not checked.
 */
export async function checkK8s(root: string, report: CheckReport, options: K8sCheckOptions = {}): Promise<K8sSummary> {
  const k8sDir = join(root, 'k8s');
  const rel = (path: string): string => relative(root, path);
  const overlays = new Map<string, K8sObject[]>();
  const models = options.models ?? knownModels(root);
  const render = (dir: string): Promise<K8sObject[]> => kustomize(dir, options.kubectl ? { kubectl: options.kubectl } : {});

  const yamlFiles = listFiles(k8sDir).filter((file) => /\.ya?ml$/.test(file));
  const kustomizationDirs = yamlFiles.filter((file) => /^kustomization\.ya?ml$/.test(basename(file))).map((file) => join(file, '..'));
  const referenced = new Set<string>();
  const included = new Set<string>();

  for (const dir of kustomizationDirs) {
    const file = kustomizationFile(dir)!;
    referenced.add(file);
    try {
      for (const path of kustomizationReferences(dir, file)) {
        referenced.add(path);
        included.add(path);
      }
    } catch (error) {
      report.problem(rel(file), message(error));
    }
  }
  for (const file of yamlFiles) {
    if (!referenced.has(file)) report.problem(rel(file), 'not referenced by any kustomization (resources or patches)');
  }

  // Render each root once; every included kustomization renders as part of a root.
  const roots = kustomizationDirs.filter((dir) => !included.has(dir));
  const rendered = new Map<string, K8sObject[]>();
  const results = await Promise.allSettled(roots.map(render));
  for (const [index, result] of results.entries()) {
    const dir = roots[index]!;
    if (result.status === 'fulfilled') {
      rendered.set(dir, result.value);
    } else if (result.reason instanceof KubectlMissingError) {
      report.problem('k8s', result.reason.message);
      return { overlays, rendered: false };
    } else {
      report.problem(rel(dir), message(result.reason));
    }
  }

  // kubectl applies a patch whose target matches nothing as a no-op; a renamed object would
  // silently lose its patch, so each target must match an object its kustomization renders.
  for (const dir of kustomizationDirs) {
    const targets = patchTargets(kustomizationFile(dir)!);
    if (targets.length === 0) continue;
    let objects = rendered.get(dir);
    if (!objects) {
      try {
        objects = await render(dir);
      } catch (error) {
        report.problem(rel(dir), message(error));
        continue;
      }
    }
    for (const target of targets) {
      if (!objects.some((object) => matchesTarget(object, target))) {
        report.problem(rel(kustomizationFile(dir)!), `patch target ${JSON.stringify(target)} matches no object it renders`);
      }
    }
  }

  // Every object as written in its file (patch files are partial and only checked once applied).
  const patchFiles = new Set(yamlFiles.filter((file) => /\.patch\.ya?ml$/.test(file)));
  let fileObjects = 0;
  for (const file of yamlFiles) {
    if (patchFiles.has(file) || /kustomization\.ya?ml$/.test(file)) continue;
    for (const document of safeParse(file, report, rel)) {
      fileObjects += 1;
      if (isK8sObject(document) && document.metadata['namespace'] !== undefined) {
        report.problem(rel(file), `${objectId(document)} sets a namespace; manifests stay namespace-less (kubectl -n chooses)`);
      }
      for (const error of await validateK8sObject(document)) report.problem(rel(file), `${describe(document)}: ${error}`);
    }
  }
  report.ok(
    `k8s/: ${rendered.size} of ${roots.length} root kustomizations render with kubectl kustomize (${kustomizationDirs.length} in all); ` +
      `${fileObjects} objects in ${yamlFiles.length - kustomizationDirs.length} files valid`,
  );

  const overlaysDir = join(k8sDir, 'overlays');
  for (const pattern of listDirs(overlaysDir)) {
    const dir = join(overlaysDir, pattern);
    const objects = rendered.get(dir);
    if (!objects) {
      if (roots.includes(dir)) continue; // its render failure is reported above
      report.problem(rel(dir), kustomizationFile(dir) ? 'included by another kustomization; an overlay is a root' : 'no kustomization.yaml');
      continue;
    }
    overlays.set(pattern, objects);
    const before = report.problems.length;
    for (const object of objects) {
      for (const error of await validateK8sObject(object)) report.problem(`${rel(dir)} ${objectId(object)}`, error);
    }
    checkOverlay(pattern, objects, rel(dir), report, { models });
    if (report.problems.length === before) {
      report.ok(`${rel(dir)}: ${objects.length} objects valid and consistent (${objects.map(objectId).join(', ')})`);
    }
  }
  return { overlays, rendered: true };
}

/**
 * The files and folders a kustomization names (resources, components, patch files), resolved;
 * kubectl checks that they exist and render — this only finds the YAML no one uses.
 */
function kustomizationReferences(dir: string, file: string): string[] {
  const [document] = parseYamlDocuments(readFileSync(file, 'utf8'), file);
  if (!isRecord(document)) throw new Error('not a mapping');
  const list = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);
  const paths = [
    ...list(document['resources']),
    ...list(document['components']),
    ...list(document['patches']).map((patch) => (isRecord(patch) ? patch['path'] : undefined)),
  ];
  return paths.filter((path): path is string => typeof path === 'string' && !/^[a-z]+:\/\//.test(path)).map((path) => join(dir, path));
}

interface PatchTarget {
  group?: string;
  version?: string;
  kind?: string;
  name?: string;
  namePrefix: string;
  nameSuffix: string;
}

/** The `target` of each entry of `patches`, with the kustomization's own name prefix and suffix. */
function patchTargets(file: string): PatchTarget[] {
  const [document] = parseYamlDocuments(readFileSync(file, 'utf8'), file);
  if (!isRecord(document) || !Array.isArray(document['patches'])) return [];
  const text = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
  return document['patches'].flatMap((patch) => {
    if (!isRecord(patch) || !isRecord(patch['target'])) return [];
    const { group, version, kind, name } = patch['target'];
    const target: PatchTarget = { namePrefix: text(document['namePrefix']) ?? '', nameSuffix: text(document['nameSuffix']) ?? '' };
    for (const [key, value] of Object.entries({ group, version, kind, name })) if (text(value) !== undefined) target[key as 'kind'] = text(value)!;
    return [target];
  });
}

/** kustomize's selector: exact fields, `name` a regular expression, before or after this kustomization's renaming. */
function matchesTarget(object: K8sObject, target: PatchTarget): boolean {
  const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : ['', object.apiVersion];
  if (target.kind !== undefined && object.kind !== target.kind) return false;
  if (target.group !== undefined && group !== target.group) return false;
  if (target.version !== undefined && version !== target.version) return false;
  if (target.name === undefined) return true;
  const name = new RegExp(`^(?:${target.name})$`);
  const bare = object.metadata.name;
  const unrenamed = bare.startsWith(target.namePrefix) && bare.endsWith(target.nameSuffix) ? bare.slice(target.namePrefix.length, bare.length - target.nameSuffix.length) : bare;
  return name.test(bare) || name.test(unrenamed);
}

function safeParse(file: string, report: CheckReport, rel: (path: string) => string): unknown[] {
  try {
    return parseYamlDocuments(readFileSync(file, 'utf8'), file);
  } catch (error) {
    report.problem(rel(file), message(error));
    return [];
  }
}

/** The semantic checks of one rendered overlay. */
export function checkOverlay(
  pattern: string,
  objects: readonly K8sObject[],
  where: string,
  report: CheckReport,
  options: { models: readonly string[] },
): void {
  const at = (object: K8sObject): string => `${where} ${objectId(object)}`;
  const byKind = (kind: string): K8sObject[] => objects.filter((object) => object.kind === kind);
  const workloads = objects.filter((object) => podTemplateOf(object) !== undefined);
  const claims = new Set(byKind('PersistentVolumeClaim').map((object) => object.metadata.name));

  for (const object of objects) {
    const labels = labelsOf(object.metadata);
    for (const label of REQUIRED_LABELS) if (!labels[label]) report.problem(at(object), `no ${label} label`);
  }

  const serviceNames = new Set(byKind('Service').map((object) => object.metadata.name));
  for (const workload of workloads) checkWorkload(workload, { claims, services: serviceNames, models: options.models }, at(workload), report);

  for (const service of byKind('Service')) {
    const spec = isRecord(service['spec']) ? service['spec'] : {};
    const selector = labelsOf(spec, 'selector');
    if (Object.keys(selector).length === 0) {
      report.problem(at(service), 'no selector');
      continue;
    }
    const selected = workloads.filter((workload) => matchesSelector(labelsOf(podTemplateOf(workload) ?? {}, 'metadata', 'labels'), selector));
    if (selected.length === 0) {
      report.problem(at(service), `selector ${JSON.stringify(selector)} matches no pod template`);
      continue;
    }
    for (const port of Array.isArray(spec['ports']) ? spec['ports'].filter(isRecord) : []) {
      const target = port['targetPort'] ?? port['port'];
      for (const workload of selected) {
        const containers = containersOf(podSpecOf(workload) ?? {}, { init: false });
        if (!containers.some((container) => hasPort(container, target))) {
          report.problem(at(service), `targetPort ${String(target)} is no container port of ${objectId(workload)}`);
        }
      }
    }
  }

  for (const hpa of byKind('HorizontalPodAutoscaler')) {
    const spec = isRecord(hpa['spec']) ? hpa['spec'] : {};
    const ref = isRecord(spec['scaleTargetRef']) ? spec['scaleTargetRef'] : {};
    const target = objects.find((object) => object.kind === ref['kind'] && object.metadata.name === ref['name']);
    if (!target) {
      report.problem(at(hpa), `scaleTargetRef ${String(ref['kind'])}/${String(ref['name'])} does not exist`);
      continue;
    }
    const min = Number(spec['minReplicas'] ?? 1);
    if (min < 1 || Number(spec['maxReplicas']) < min) report.problem(at(hpa), 'needs 1 ≤ minReplicas ≤ maxReplicas');
    const usesCpu = JSON.stringify(spec['metrics'] ?? []).includes('"name":"cpu"');
    const containers = containersOf(podSpecOf(target) ?? {}, { init: false });
    if (usesCpu && containers.some((container) => !requestOf(container, 'cpu'))) {
      report.problem(at(hpa), `scales on CPU but ${objectId(target)} has a container without a CPU request`);
    }
  }

  checkPatternObjects(pattern, objects, where, report);
}

/** The worker image running its batch entry (`node dist/batch-main.js …`). */
export function isBatchContainer(container: Record<string, unknown>): boolean {
  return appOfImage(String(container['image'] ?? '')) === 'worker' && commandLine(container).includes(BATCH_ENTRY);
}

function commandLine(container: Record<string, unknown>): string[] {
  const list = (value: unknown): string[] => (Array.isArray(value) ? value.map(String) : []);
  return [...list(container['command']), ...list(container['args'])];
}

interface WorkloadContext {
  claims: ReadonlySet<string>;
  services: ReadonlySet<string>;
  models: readonly string[];
}

function checkWorkload(workload: K8sObject, { claims, services, models }: WorkloadContext, where: string, report: CheckReport): void {
  const template = podTemplateOf(workload) ?? {};
  const podLabels = labelsOf(template, 'metadata', 'labels');
  const spec = isRecord(workload['spec']) ? workload['spec'] : {};
  const pod = podSpecOf(workload) ?? {};

  if (workload.kind !== 'Job' && workload.kind !== 'CronJob') {
    const selector = labelsOf(spec, 'selector', 'matchLabels');
    if (Object.keys(selector).length === 0) report.problem(where, 'no selector.matchLabels');
    else if (!matchesSelector(podLabels, selector)) report.problem(where, `selector ${JSON.stringify(selector)} does not match the pod template labels`);
    if (spec['replicas'] !== undefined && Number(spec['replicas']) < 1) report.problem(where, 'replicas < 1');
  }

  const volumes = new Set(
    (Array.isArray(pod['volumes']) ? pod['volumes'].filter(isRecord) : []).map((volume) => String(volume['name'])),
  );
  const claimTemplates = Array.isArray(spec['volumeClaimTemplates']) ? spec['volumeClaimTemplates'].filter(isRecord) : [];
  for (const claim of claimTemplates) volumes.add(String(isRecord(claim['metadata']) ? claim['metadata']['name'] : ''));
  for (const volume of Array.isArray(pod['volumes']) ? pod['volumes'].filter(isRecord) : []) {
    const claim = isRecord(volume['persistentVolumeClaim']) ? volume['persistentVolumeClaim']['claimName'] : undefined;
    if (claim !== undefined && !claims.has(String(claim))) report.problem(where, `volume ${String(volume['name'])} claims ${String(claim)}, which is not in the overlay`);
  }

  const podSecurity = isRecord(pod['securityContext']) ? pod['securityContext'] : {};
  for (const container of containersOf(pod)) {
    const name = String(container['name']);
    const cwhere = `${where} container ${name}`;
    const security = isRecord(container['securityContext']) ? container['securityContext'] : {};
    const image = String(container['image'] ?? '');
    const app = appOfImage(image);

    for (const mount of Array.isArray(container['volumeMounts']) ? container['volumeMounts'].filter(isRecord) : []) {
      if (!volumes.has(String(mount['name']))) report.problem(cwhere, `mounts volume ${String(mount['name'])}, which the pod does not define`);
    }
    for (const kind of ['readinessProbe', 'livenessProbe', 'startupProbe']) {
      const probe = container[kind];
      if (!isRecord(probe)) continue;
      const handler = ['httpGet', 'tcpSocket', 'grpc'].map((key) => probe[key]).find(isRecord);
      if (handler && !hasPort(container, handler['port'])) report.problem(cwhere, `${kind} port ${String(handler['port'])} is not a container port`);
      const handlers = ['exec', 'httpGet', 'tcpSocket', 'grpc'].filter((key) => probe[key] !== undefined);
      if (handlers.length !== 1) report.problem(cwhere, `${kind} needs exactly one handler (has ${handlers.join(', ') || 'none'})`);
    }
    if (!requestOf(container, 'cpu') || !requestOf(container, 'memory')) report.problem(cwhere, 'no CPU and memory requests');
    if (!isRecord(container['resources']) || !isRecord(container['resources']['limits']) || !container['resources']['limits']['memory']) {
      report.problem(cwhere, 'no memory limit');
    }
    if ((security['runAsNonRoot'] ?? podSecurity['runAsNonRoot']) !== true) report.problem(cwhere, 'runAsNonRoot is not true');
    if (security['readOnlyRootFilesystem'] !== true) report.problem(cwhere, 'readOnlyRootFilesystem is not true');
    if (security['allowPrivilegeEscalation'] !== false) report.problem(cwhere, 'allowPrivilegeEscalation is not false');
    if (image.endsWith(':latest') || !image.includes(':')) report.problem(cwhere, `image ${image} has no pinned tag`);

    if (!app) continue;
    const env = resolveEnv(container, podLabels, cwhere, report);
    for (const variable of env.keys()) {
      if (!isKnownEnv(app, variable)) report.problem(cwhere, `env ${variable} is not read by the ${app}`);
    }
    for (const variable of ['NATS_URL', 'REDIS_URL']) {
      for (const host of urlHosts(env.get(variable) ?? '')) {
        if (!services.has(host)) report.problem(cwhere, `${variable} names host ${host}, which is no Service of the overlay`);
      }
    }
    const serving = SERVING_APPS.includes(app);
    const isInit = (Array.isArray(pod['initContainers']) ? pod['initContainers'] : []).includes(container);
    const batch = isBatchContainer(container);
    const isJob = workload.kind === 'Job' || workload.kind === 'CronJob';
    if (serving && isJob && !batch) report.problem(cwhere, `a serving image in a ${workload.kind}`);
    if (batch && !isJob) report.problem(cwhere, `the batch job (${BATCH_ENTRY}) runs as a Job or CronJob, not a ${workload.kind}`);
    if (batch) {
      const model = batchModel(container, env);
      if (!model) report.problem(cwhere, 'the batch job needs --model or BATCH_MODEL');
      else if (!models.includes(model)) report.problem(cwhere, `batch model ${model} is not one of ${models.join(', ')}`);
    }
    // A Job (training once, seeding), or a CronJob: scheduled training (training-to-serving).
    if (app === 'trainer' && !isJob) report.problem(cwhere, 'the trainer image runs only as a Job or CronJob');
    if (app === 'predictor') {
      const served = predictorModels(env);
      if (served.length === 0) report.problem(cwhere, 'a predictor needs MODEL_NAME (or MODEL_NAMES)');
      const variable = env.has('MODEL_NAME') ? 'MODEL_NAME' : 'MODEL_NAMES';
      for (const model of served) if (!models.includes(model)) report.problem(cwhere, `${variable} ${model} is not one of ${models.join(', ')}`);
      for (const mount of Array.isArray(container['volumeMounts']) ? container['volumeMounts'].filter(isRecord) : []) {
        if (mount['mountPath'] === '/models' && mount['readOnly'] !== true) report.problem(cwhere, 'mounts /models writable; predictors read models only');
      }
    }
    if (isInit) continue;
    const httpPort = app === 'gateway' ? (env.get('PORT') ?? '8080') : env.get('HTTP_PORT');
    if (serving && httpPort !== undefined && !hasPort(container, Number(httpPort))) {
      report.problem(cwhere, `listens on ${httpPort} (${app === 'gateway' ? 'PORT' : 'HTTP_PORT'}) but declares no such containerPort`);
    }
    if (app === 'gateway' && env.get('HOST') !== '0.0.0.0') report.problem(cwhere, 'the gateway must listen on HOST=0.0.0.0 in a pod');
    if (serving && !batch && !isRecord(container['readinessProbe'])) report.problem(cwhere, 'no readinessProbe');
    if (serving && httpPort !== undefined && !isRecord(container['livenessProbe'])) report.problem(cwhere, 'serves HTTP but has no livenessProbe');
  }
}

/** The env a container sees: literal values and `fieldRef` to pod labels, resolved. */
function resolveEnv(container: Record<string, unknown>, podLabels: Record<string, string>, where: string, report: CheckReport): Map<string, string> {
  const env = new Map<string, string>();
  for (const variable of Array.isArray(container['env']) ? container['env'].filter(isRecord) : []) {
    const name = String(variable['name']);
    if (typeof variable['value'] === 'string') {
      env.set(name, variable['value']);
      continue;
    }
    const fieldPath = isRecord(variable['valueFrom']) && isRecord(variable['valueFrom']['fieldRef']) ? variable['valueFrom']['fieldRef']['fieldPath'] : undefined;
    const label = typeof fieldPath === 'string' ? /^metadata\.labels\['([^']+)'\]$/.exec(fieldPath)?.[1] : undefined;
    if (label !== undefined) {
      const value = podLabels[label];
      if (value === undefined) report.problem(where, `env ${name} reads pod label ${label}, which the pod template does not have`);
      else env.set(name, value);
    } else {
      env.set(name, '');
    }
  }
  return env;
}

function checkPatternObjects(pattern: string, objects: readonly K8sObject[], where: string, report: CheckReport): void {
  const expected = PATTERN_EXPECTATIONS[pattern];
  if (!expected) {
    report.warn(where, `no expectations for the ${pattern} pattern in tools/deploy-check/src/patterns.ts`);
    return;
  }
  const deployments = objects.filter((object) => object.kind === 'Deployment');
  const mainContainers = (object: K8sObject): Record<string, unknown>[] => containersOf(podSpecOf(object) ?? {}, { init: false });
  const predictors = deployments.filter((object) => mainContainers(object).some((container) => appOfImage(String(container['image'])) === 'predictor'));
  const modelsOf = (object: K8sObject): string[] => {
    const labels = labelsOf(podTemplateOf(object) ?? {}, 'metadata', 'labels');
    const container = mainContainers(object).find((candidate) => appOfImage(String(candidate['image'])) === 'predictor');
    return container ? predictorModels(resolveEnv(container, labels, where, report)) : [];
  };
  const served = new Set(predictors.flatMap(modelsOf));
  for (const model of expected.models ?? []) if (!served.has(model)) report.problem(where, `no predictor Deployment serves ${model}`);
  if (expected.gateway) {
    const gateway = deployments.find((object) => mainContainers(object).some((container) => appOfImage(String(container['image'])) === 'gateway'));
    if (!gateway) report.problem(where, 'no gateway Deployment');
    else if (!objects.some((object) => object.kind === 'Service' && selects(object, gateway))) report.problem(where, 'no Service in front of the gateway');
  }
  if (expected.httpPredictor) {
    const web = predictors.find((object) => {
      const labels = labelsOf(podTemplateOf(object) ?? {}, 'metadata', 'labels');
      const container = mainContainers(object).find((candidate) => appOfImage(String(candidate['image'])) === 'predictor');
      const env = container ? resolveEnv(container, labels, where, report) : new Map<string, string>();
      return env.get('MODEL_NAME') === expected.httpPredictor && env.has('HTTP_PORT');
    });
    if (!web) report.problem(where, `no predictor serves ${expected.httpPredictor} with HTTP_PORT`);
    else if (!objects.some((object) => object.kind === 'Service' && selects(object, web))) report.problem(where, `no Service in front of ${objectId(web)}`);
  }
  const ofApp = (app: AppName): K8sObject[] =>
    deployments.filter((object) => mainContainers(object).some((container) => appOfImage(String(container['image'])) === app));
  const hpaFor = (object: K8sObject): K8sObject | undefined =>
    objects.find((hpa) => {
      if (hpa.kind !== 'HorizontalPodAutoscaler' || !isRecord(hpa['spec']) || !isRecord(hpa['spec']['scaleTargetRef'])) return false;
      const ref = hpa['spec']['scaleTargetRef'];
      return ref['kind'] === object.kind && ref['name'] === object.metadata.name;
    });
  if (expected.redis) {
    const redis = deployments.find((object) => mainContainers(object).some((container) => /(^|\/)redis:/.test(String(container['image']))));
    if (!redis) report.problem(where, 'no redis Deployment');
    else if (!objects.some((object) => object.kind === 'Service' && object.metadata.name === 'redis' && selects(object, redis))) report.problem(where, 'no Service redis in front of redis');
  }
  if (expected.workers !== undefined) {
    const replicas = ofApp('worker').reduce((sum, object) => {
      const spec = isRecord(object['spec']) ? object['spec'] : {};
      const hpa = hpaFor(object);
      const min = hpa && isRecord(hpa['spec']) ? Number(hpa['spec']['minReplicas'] ?? 1) : Number(spec['replicas'] ?? 1);
      return sum + min;
    }, 0);
    if (replicas < expected.workers) report.problem(where, `${replicas} asynchronous worker replica(s), the pattern needs ${expected.workers}`);
  }
  if (expected.preprocess) {
    const preprocess = ofApp('preprocess');
    if (preprocess.length === 0) report.problem(where, 'no preprocess Deployment');
    for (const object of preprocess) {
      if (mainContainers(object).some((container) => appOfImage(String(container['image'])) !== 'preprocess')) {
        report.problem(where, `${objectId(object)} runs preprocess beside other containers; it is scaled on its own`);
      }
      if (!hpaFor(object)) report.problem(where, `no HorizontalPodAutoscaler scales ${objectId(object)} (prep-pred scales preprocessing independently)`);
    }
  }
  if (expected.cache && ofApp('cache').length === 0) report.problem(where, 'no cache Deployment');
  if (expected.monitor && ofApp('monitor').length === 0) report.problem(where, 'no monitor Deployment (prediction log)');
  if (expected.batchModel) {
    const job = objects.find((object) => {
      if (object.kind !== 'CronJob') return false;
      const labels = labelsOf(podTemplateOf(object) ?? {}, 'metadata', 'labels');
      return mainContainers(object).some(
        (container) => isBatchContainer(container) && batchModel(container, resolveEnv(container, labels, where, report)) === expected.batchModel,
      );
    });
    if (!job) report.problem(where, `no CronJob runs the batch job (${BATCH_ENTRY}) with ${expected.batchModel}`);
  }
  if (expected.graphs && expected.graphs.length > 0) {
    for (const gateway of ofApp('gateway')) {
      const labels = labelsOf(podTemplateOf(gateway) ?? {}, 'metadata', 'labels');
      const container = mainContainers(gateway).find((candidate) => appOfImage(String(candidate['image'])) === 'gateway');
      const env = container ? resolveEnv(container, labels, where, report) : new Map<string, string>();
      if (env.get('GRAPHS_DIR') !== IMAGE_GRAPHS_DIR) {
        report.problem(where, `${objectId(gateway)} serves graphs (${expected.graphs.join(', ')}): GRAPHS_DIR must be ${IMAGE_GRAPHS_DIR}, where the image carries them`);
      }
    }
  }
}

function batchModel(container: Record<string, unknown>, env: ReadonlyMap<string, string>): string | undefined {
  const line = commandLine(container);
  const index = line.indexOf('--model');
  return index >= 0 ? line[index + 1] : env.get('BATCH_MODEL');
}

function selects(service: K8sObject, workload: K8sObject): boolean {
  const selector = labelsOf(isRecord(service['spec']) ? service['spec'] : {}, 'selector');
  return Object.keys(selector).length > 0 && matchesSelector(labelsOf(podTemplateOf(workload) ?? {}, 'metadata', 'labels'), selector);
}

/** Our images are `msp/<app>:<tag>` (any registry prefix); others are third-party. */
export function appOfImage(image: string): AppName | undefined {
  const name = /(?:^|\/)msp\/([a-z-]+)(?::[^/]*)?$/.exec(image)?.[1];
  return name && isAppName(name) ? name : undefined;
}

function labelsOf(holder: unknown, ...path: string[]): Record<string, string> {
  let current: unknown = holder;
  for (const key of path.length > 0 ? path : ['labels']) current = isRecord(current) ? current[key] : undefined;
  return isRecord(current) ? Object.fromEntries(Object.entries(current).map(([key, value]) => [key, String(value)])) : {};
}

function matchesSelector(labels: Record<string, string>, selector: Record<string, string>): boolean {
  return Object.entries(selector).every(([key, value]) => labels[key] === value);
}

function hasPort(container: Record<string, unknown>, port: unknown): boolean {
  const ports = Array.isArray(container['ports']) ? container['ports'].filter(isRecord) : [];
  return ports.some((candidate) => (typeof port === 'string' ? candidate['name'] === port : candidate['containerPort'] === port));
}

function requestOf(container: Record<string, unknown>, resource: string): unknown {
  const resources = container['resources'];
  return isRecord(resources) && isRecord(resources['requests']) ? resources['requests'][resource] : undefined;
}

function describe(document: unknown): string {
  return isK8sObject(document) ? objectId(document) : 'a document';
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((file) => join(dir, file))
    .sort();
}

function listDirs(dir: string): string[] {
  try {
    return readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name)
      .sort();
  } catch {
    return [];
  }
}
