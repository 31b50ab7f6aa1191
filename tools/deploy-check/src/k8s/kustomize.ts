import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { isRecord, parseYamlDocuments } from '../yaml-load.js';
import { isK8sObject, objectId, type K8sObject } from './k8s-validate.js';

/**
 * A small, in-process `kustomize build` for the features our k8s/ tree uses, so overlays can be
 * rendered and checked without kubectl. Supported kustomization fields: resources (files and
 * directories), nameSuffix, namePrefix, labels (pairs, includeSelectors, includeTemplates),
 * patches (strategic merge, or JSON 6902 add/replace/remove with a target) and images. Any other
 * field is an error: extend this renderer (and its spec) before using it in k8s/.
 * The spec compares its output with `kubectl kustomize` where kubectl is installed.
 */
export class KustomizeError extends Error {
  override readonly name = 'KustomizeError';
}

const SUPPORTED_FIELDS = new Set(['apiVersion', 'kind', 'resources', 'nameSuffix', 'namePrefix', 'labels', 'patches', 'images']);

export interface Kustomization {
  dir: string;
  file: string;
  resources: string[];
  nameSuffix?: string;
  namePrefix?: string;
  labels: LabelSpec[];
  patches: PatchSpec[];
  images: ImageSpec[];
}

export interface LabelSpec {
  pairs: Record<string, string>;
  includeSelectors: boolean;
  includeTemplates: boolean;
}

export interface PatchTarget {
  group?: string;
  version?: string;
  kind?: string;
  name?: string;
}

export interface PatchSpec {
  /** The patch file, when given by path. */
  path?: string;
  /** The parsed patch: an object (strategic merge) or a list of operations (JSON 6902). */
  patch: unknown;
  target?: PatchTarget;
}

export interface ImageSpec {
  name: string;
  newName?: string;
  newTag?: string;
}

export interface RenderedObject {
  object: K8sObject;
  /** The file the object came from. */
  source: string;
}

export function kustomizationFile(dir: string): string | undefined {
  for (const name of ['kustomization.yaml', 'kustomization.yml', 'Kustomization']) {
    const file = join(dir, name);
    if (existsSync(file)) return file;
  }
  return undefined;
}

/** Reads and checks the shape of a kustomization; paths stay relative to its folder. */
export function readKustomization(dir: string): Kustomization {
  const file = kustomizationFile(dir);
  if (!file) throw new KustomizeError(`${dir}: no kustomization.yaml`);
  const [document] = parseYamlDocuments(readFileSync(file, 'utf8'), file);
  if (!isRecord(document)) throw new KustomizeError(`${file}: not a mapping`);
  const unsupported = Object.keys(document).filter((key) => !SUPPORTED_FIELDS.has(key));
  if (unsupported.length > 0) {
    throw new KustomizeError(`${file}: ${unsupported.join(', ')} not supported by the in-process renderer (tools/deploy-check)`);
  }
  const list = (key: string): unknown[] => {
    const value = document[key] ?? [];
    if (!Array.isArray(value)) throw new KustomizeError(`${file}: ${key} must be a list`);
    return value as unknown[];
  };
  const optionalString = (key: string): string | undefined => {
    const value = document[key];
    if (value !== undefined && typeof value !== 'string') throw new KustomizeError(`${file}: ${key} must be a string`);
    return value;
  };
  const nameSuffix = optionalString('nameSuffix');
  const namePrefix = optionalString('namePrefix');
  return {
    dir,
    file,
    resources: list('resources').map(String),
    ...(nameSuffix !== undefined ? { nameSuffix } : {}),
    ...(namePrefix !== undefined ? { namePrefix } : {}),
    labels: list('labels').map((entry) => readLabelSpec(entry, file)),
    patches: list('patches').map((entry) => readPatchSpec(entry, dir, file)),
    images: list('images').map((entry) => {
      if (!isRecord(entry) || typeof entry['name'] !== 'string') throw new KustomizeError(`${file}: an image needs a name`);
      return {
        name: entry['name'],
        ...(typeof entry['newName'] === 'string' ? { newName: entry['newName'] } : {}),
        ...(entry['newTag'] !== undefined ? { newTag: String(entry['newTag']) } : {}),
      };
    }),
  };
}

function readLabelSpec(entry: unknown, file: string): LabelSpec {
  if (!isRecord(entry) || !isRecord(entry['pairs'])) throw new KustomizeError(`${file}: labels entries need pairs`);
  const extra = Object.keys(entry).filter((key) => !['pairs', 'includeSelectors', 'includeTemplates'].includes(key));
  if (extra.length > 0) throw new KustomizeError(`${file}: labels.${extra.join(', ')} not supported`);
  return {
    pairs: Object.fromEntries(Object.entries(entry['pairs']).map(([key, value]) => [key, String(value)])),
    includeSelectors: entry['includeSelectors'] === true,
    includeTemplates: entry['includeTemplates'] === true,
  };
}

function readPatchSpec(entry: unknown, dir: string, file: string): PatchSpec {
  if (!isRecord(entry)) throw new KustomizeError(`${file}: a patch must be a mapping`);
  const extra = Object.keys(entry).filter((key) => !['path', 'patch', 'target'].includes(key));
  if (extra.length > 0) throw new KustomizeError(`${file}: patches.${extra.join(', ')} not supported`);
  let text: string;
  let path: string | undefined;
  if (typeof entry['path'] === 'string') {
    path = join(dir, entry['path']);
    if (!existsSync(path)) throw new KustomizeError(`${file}: patch ${entry['path']} does not exist`);
    text = readFileSync(path, 'utf8');
  } else if (typeof entry['patch'] === 'string') {
    text = entry['patch'];
  } else {
    throw new KustomizeError(`${file}: a patch needs path or patch`);
  }
  const documents = parseYamlDocuments(text, path ?? file);
  if (documents.length !== 1) throw new KustomizeError(`${path ?? file}: a patch holds exactly one document`);
  const target = entry['target'];
  if (target !== undefined && !isRecord(target)) throw new KustomizeError(`${file}: patch target must be a mapping`);
  const unsupportedTarget = target ? Object.keys(target).filter((key) => !['group', 'version', 'kind', 'name'].includes(key)) : [];
  if (unsupportedTarget.length > 0) throw new KustomizeError(`${file}: patch target ${unsupportedTarget.join(', ')} not supported`);
  return {
    ...(path ? { path } : {}),
    patch: documents[0],
    ...(target ? { target: Object.fromEntries(Object.entries(target).map(([key, value]) => [key, String(value)])) as PatchTarget } : {}),
  };
}

/** Every kustomization folder reached from `dir` through `resources`, `dir` first. */
export function kustomizationTree(dir: string): Kustomization[] {
  const seen = new Map<string, Kustomization>();
  const visit = (current: string): void => {
    if (seen.has(current)) return;
    const kustomization = readKustomization(current);
    seen.set(current, kustomization);
    for (const resource of kustomization.resources) {
      const path = join(current, resource);
      if (existsSync(path) && statSync(path).isDirectory()) visit(path);
    }
  };
  visit(dir);
  return [...seen.values()];
}

/** Renders a kustomization folder like `kustomize build`, within the supported features. */
export function renderKustomization(dir: string, stack: readonly string[] = []): RenderedObject[] {
  if (stack.includes(dir)) throw new KustomizeError(`cycle: ${[...stack, dir].join(' → ')}`);
  const kustomization = readKustomization(dir);
  const rendered: RenderedObject[] = [];
  for (const resource of kustomization.resources) {
    const path = join(dir, resource);
    if (!existsSync(path)) throw new KustomizeError(`${kustomization.file}: resource ${resource} does not exist`);
    if (statSync(path).isDirectory()) {
      rendered.push(...renderKustomization(path, [...stack, dir]));
      continue;
    }
    for (const document of parseYamlDocuments(readFileSync(path, 'utf8'), path)) {
      if (!isK8sObject(document)) throw new KustomizeError(`${path}: a document without apiVersion, kind and metadata.name`);
      rendered.push({ object: structuredClone(document), source: path });
    }
  }
  assertUniqueIds(rendered, kustomization.file);

  for (const patch of kustomization.patches) applyPatch(rendered, patch, kustomization.file);
  if (kustomization.namePrefix || kustomization.nameSuffix) {
    renameAll(rendered, kustomization.namePrefix ?? '', kustomization.nameSuffix ?? '');
  }
  for (const label of kustomization.labels) {
    for (const { object } of rendered) applyLabels(object, label);
  }
  for (const image of kustomization.images) {
    for (const { object } of rendered) applyImage(object, image);
  }
  assertUniqueIds(rendered, kustomization.file);
  return rendered;
}

function assertUniqueIds(rendered: readonly RenderedObject[], file: string): void {
  const seen = new Set<string>();
  for (const { object } of rendered) {
    const id = objectId(object);
    if (seen.has(id)) throw new KustomizeError(`${file}: ${id} is defined twice`);
    seen.add(id);
  }
}

/** Does a patch target (or a strategic merge patch's own kind and name) select this object? */
export function matchesTarget(object: K8sObject, target: PatchTarget): boolean {
  const [group, version] = object.apiVersion.includes('/') ? object.apiVersion.split('/') : ['', object.apiVersion];
  return (
    (target.kind === undefined || target.kind === object.kind) &&
    (target.name === undefined || target.name === object.metadata.name) &&
    (target.group === undefined || target.group === group) &&
    (target.version === undefined || target.version === version)
  );
}

/** The target a patch applies to: its explicit target, or a strategic merge patch's kind and name. */
export function patchTarget(patch: PatchSpec): PatchTarget | undefined {
  if (patch.target) return patch.target;
  if (isK8sObject(patch.patch)) return { kind: patch.patch.kind, name: patch.patch.metadata.name };
  return undefined;
}

function applyPatch(rendered: RenderedObject[], patch: PatchSpec, file: string): void {
  const target = patchTarget(patch);
  const where = patch.path ? relative(dirname(file), patch.path) : 'an inline patch';
  if (!target) throw new KustomizeError(`${file}: ${where} has no target and no kind/metadata.name`);
  const matches = rendered.filter(({ object }) => matchesTarget(object, target));
  if (matches.length === 0) throw new KustomizeError(`${file}: ${where} targets ${JSON.stringify(target)}, which no resource is`);
  for (const match of matches) {
    if (Array.isArray(patch.patch)) {
      match.object = applyJson6902(match.object, patch.patch, `${file}: ${where}`) as K8sObject;
    } else if (isRecord(patch.patch)) {
      const { apiVersion: _apiVersion, kind: _kind, ...body } = patch.patch;
      const metadata = isRecord(body['metadata']) ? { ...body['metadata'] } : undefined;
      if (metadata) delete metadata['name'];
      const merged = strategicMerge(match.object, metadata ? { ...body, metadata } : body, '');
      if (!isK8sObject(merged)) throw new KustomizeError(`${file}: ${where} removed the object's identity`);
      match.object = merged;
    } else {
      throw new KustomizeError(`${file}: ${where} is neither a mapping nor a list of operations`);
    }
  }
}

/**
 * The merge keys of the lists our manifests patch (from the Kubernetes API's
 * x-kubernetes-patch-merge-key); other lists are replaced whole, as strategic merge does.
 */
const MERGE_KEYS: Readonly<Record<string, string>> = {
  containers: 'name',
  initContainers: 'name',
  env: 'name',
  volumes: 'name',
  volumeMounts: 'mountPath',
  ports: 'containerPort',
  imagePullSecrets: 'name',
};

/**
 * A strategic merge patch: maps merge, `null` deletes a key, lists with a merge key merge item
 * by item (new items first, as kustomize orders them), other lists are replaced.
 */
export function strategicMerge(original: unknown, patch: unknown, key: string): unknown {
  if (isRecord(patch) && patch['$patch'] === 'replace') {
    const { $patch: _replace, ...rest } = patch;
    return structuredClone(rest);
  }
  if (isRecord(original) && isRecord(patch)) {
    const result: Record<string, unknown> = { ...original };
    for (const [childKey, value] of Object.entries(patch)) {
      if (value === null) delete result[childKey];
      else result[childKey] = childKey in original ? strategicMerge(original[childKey], value, childKey) : structuredClone(value);
    }
    return result;
  }
  const mergeKey = MERGE_KEYS[key];
  // A Service's ports merge on `port`; a container's on `containerPort`.
  const keyOf = (item: unknown): unknown =>
    isRecord(item) ? (key === 'ports' && !('containerPort' in item) ? item['port'] : item[mergeKey ?? '']) : undefined;
  if (mergeKey && Array.isArray(original) && Array.isArray(patch)) {
    const merged = original.map((item) => {
      const update = patch.find((candidate) => keyOf(candidate) !== undefined && keyOf(candidate) === keyOf(item));
      return update === undefined ? item : strategicMerge(item, update, '');
    });
    const added = patch.filter((item) => !original.some((existing) => keyOf(existing) === keyOf(item)));
    return [...added.map((item) => structuredClone(item) as unknown), ...merged].filter(
      (item) => !(isRecord(item) && item['$patch'] === 'delete'),
    );
  }
  return structuredClone(patch);
}

/** JSON 6902 add, replace and remove (RFC 6901 paths, `-` appends). */
export function applyJson6902(document: unknown, operations: unknown[], where: string): unknown {
  let result = structuredClone(document);
  for (const operation of operations) {
    if (!isRecord(operation) || typeof operation['op'] !== 'string' || typeof operation['path'] !== 'string') {
      throw new KustomizeError(`${where}: an operation needs op and path`);
    }
    const op = operation['op'];
    if (op !== 'add' && op !== 'replace' && op !== 'remove') throw new KustomizeError(`${where}: op ${op} not supported`);
    const tokens = operation['path']
      .split('/')
      .slice(1)
      .map((token) => token.replace(/~1/g, '/').replace(/~0/g, '~'));
    const last = tokens.pop();
    if (last === undefined) {
      if (op === 'remove') throw new KustomizeError(`${where}: cannot remove the whole object`);
      result = structuredClone(operation['value']);
      continue;
    }
    let parent: unknown = result;
    for (const token of tokens) {
      parent = Array.isArray(parent) ? parent[Number(token)] : isRecord(parent) ? parent[token] : undefined;
      if (parent === undefined) throw new KustomizeError(`${where}: path ${operation['path']} does not exist`);
    }
    if (Array.isArray(parent)) {
      const index = last === '-' ? parent.length : Number(last);
      const inRange = Number.isInteger(index) && index >= 0 && index <= parent.length - (op === 'add' ? 0 : 1);
      if (!inRange) throw new KustomizeError(`${where}: index ${last} out of range in ${operation['path']}`);
      if (op === 'add') parent.splice(index, 0, structuredClone(operation['value']));
      else if (op === 'replace') parent[index] = structuredClone(operation['value']);
      else parent.splice(index, 1);
    } else if (isRecord(parent)) {
      if (op !== 'add' && !(last in parent)) throw new KustomizeError(`${where}: path ${operation['path']} does not exist`);
      if (op === 'remove') delete parent[last];
      else parent[last] = structuredClone(operation['value']);
    } else {
      throw new KustomizeError(`${where}: path ${operation['path']} does not exist`);
    }
  }
  return result;
}

/** namePrefix/nameSuffix, then the references to renamed objects among these objects. */
function renameAll(rendered: readonly RenderedObject[], prefix: string, suffix: string): void {
  const renamed = new Map<string, string>();
  for (const { object } of rendered) {
    const name = `${prefix}${object.metadata.name}${suffix}`;
    renamed.set(objectId(object), name);
    object.metadata.name = name;
  }
  const newName = (kind: string, name: unknown): string | undefined =>
    typeof name === 'string' ? renamed.get(`${kind}/${name}`) : undefined;
  for (const { object } of rendered) {
    const spec = object['spec'];
    if (object.kind === 'HorizontalPodAutoscaler' && isRecord(spec) && isRecord(spec['scaleTargetRef'])) {
      const ref = spec['scaleTargetRef'];
      const name = newName(String(ref['kind']), ref['name']);
      if (name) ref['name'] = name;
    }
    if (object.kind === 'StatefulSet' && isRecord(spec)) {
      const name = newName('Service', spec['serviceName']);
      if (name) spec['serviceName'] = name;
    }
    const pod = podSpecOf(object);
    if (!pod) continue;
    if (Array.isArray(pod['volumes'])) {
      for (const volume of pod['volumes']) {
        if (!isRecord(volume)) continue;
        renameRef(volume['persistentVolumeClaim'], 'claimName', 'PersistentVolumeClaim', newName);
        renameRef(volume['configMap'], 'name', 'ConfigMap', newName);
        renameRef(volume['secret'], 'secretName', 'Secret', newName);
      }
    }
    const name = newName('ServiceAccount', pod['serviceAccountName']);
    if (name) pod['serviceAccountName'] = name;
    for (const container of containersOf(pod)) {
      for (const source of Array.isArray(container['envFrom']) ? container['envFrom'] : []) {
        if (!isRecord(source)) continue;
        renameRef(source['configMapRef'], 'name', 'ConfigMap', newName);
        renameRef(source['secretRef'], 'name', 'Secret', newName);
      }
      for (const variable of Array.isArray(container['env']) ? container['env'] : []) {
        if (!isRecord(variable) || !isRecord(variable['valueFrom'])) continue;
        renameRef(variable['valueFrom']['configMapKeyRef'], 'name', 'ConfigMap', newName);
        renameRef(variable['valueFrom']['secretKeyRef'], 'name', 'Secret', newName);
      }
    }
  }
}

function renameRef(holder: unknown, field: string, kind: string, newName: (kind: string, name: unknown) => string | undefined): void {
  if (!isRecord(holder)) return;
  const name = newName(kind, holder[field]);
  if (name) holder[field] = name;
}

/** The pod template's metadata of a workload (Deployment, StatefulSet, Job, ...). */
export function podTemplateOf(object: K8sObject): Record<string, unknown> | undefined {
  const spec = object['spec'];
  if (!isRecord(spec)) return undefined;
  if (object.kind === 'CronJob') {
    const jobTemplate = spec['jobTemplate'];
    const jobSpec = isRecord(jobTemplate) ? jobTemplate['spec'] : undefined;
    return isRecord(jobSpec) && isRecord(jobSpec['template']) ? jobSpec['template'] : undefined;
  }
  return isRecord(spec['template']) ? spec['template'] : undefined;
}

export function podSpecOf(object: K8sObject): Record<string, unknown> | undefined {
  const template = podTemplateOf(object);
  return template && isRecord(template['spec']) ? template['spec'] : undefined;
}

export function containersOf(pod: Record<string, unknown>, options: { init?: boolean } = {}): Record<string, unknown>[] {
  const lists = [pod['containers'], ...(options.init === false ? [] : [pod['initContainers']])];
  return lists.flatMap((list) => (Array.isArray(list) ? list.filter(isRecord) : []));
}

const WORKLOADS = new Set(['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'CronJob']);

function setLabels(holder: Record<string, unknown>, field: string, pairs: Record<string, string>): void {
  const current = isRecord(holder[field]) ? holder[field] : {};
  holder[field] = { ...current, ...pairs };
}

function child(holder: unknown, ...path: string[]): Record<string, unknown> | undefined {
  let current: unknown = holder;
  for (const key of path) {
    if (!isRecord(current)) return undefined;
    if (current[key] === undefined) current[key] = {};
    current = current[key];
  }
  return isRecord(current) ? current : undefined;
}

/** kustomize `labels`: metadata always; selectors and pod templates as the flags ask. */
function applyLabels(object: K8sObject, spec: LabelSpec): void {
  setLabels(object.metadata, 'labels', spec.pairs);
  const templates = spec.includeSelectors || spec.includeTemplates;
  const objectSpec = isRecord(object['spec']) ? object['spec'] : undefined;
  if (templates && WORKLOADS.has(object.kind) && objectSpec) {
    const template = object.kind === 'CronJob' ? child(objectSpec, 'jobTemplate', 'spec', 'template') : child(objectSpec, 'template');
    const metadata = template && child(template, 'metadata');
    if (metadata) setLabels(metadata, 'labels', spec.pairs);
    // kustomize labels a CronJob's Job template too (creating its metadata when missing).
    const jobTemplate = object.kind === 'CronJob' ? child(objectSpec, 'jobTemplate') : undefined;
    if (jobTemplate) {
      if (!isRecord(jobTemplate['metadata'])) jobTemplate['metadata'] = {};
      setLabels(jobTemplate['metadata'] as Record<string, unknown>, 'labels', spec.pairs);
    }
    if (object.kind === 'StatefulSet' && Array.isArray(objectSpec['volumeClaimTemplates'])) {
      for (const claim of objectSpec['volumeClaimTemplates']) {
        const claimMetadata = child(claim, 'metadata');
        if (claimMetadata) setLabels(claimMetadata, 'labels', spec.pairs);
      }
    }
  }
  if (!spec.includeSelectors || !objectSpec) return;
  if (object.kind === 'Service') {
    setLabels(objectSpec, 'selector', spec.pairs);
  } else if (['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet'].includes(object.kind)) {
    const selector = child(objectSpec, 'selector');
    if (selector) setLabels(selector, 'matchLabels', spec.pairs);
  } else if (['Job', 'PodDisruptionBudget'].includes(object.kind) && isRecord(objectSpec['selector'])) {
    setLabels(objectSpec['selector'], 'matchLabels', spec.pairs);
  }
}

/** kustomize `images`: rewrite container images whose name (without tag) matches. */
function applyImage(object: K8sObject, image: ImageSpec): void {
  const pod = podSpecOf(object);
  if (!pod) return;
  for (const container of containersOf(pod)) {
    if (typeof container['image'] !== 'string') continue;
    const match = /^(.*?)(?::([^:/@]+))?(@.*)?$/.exec(container['image']);
    if (!match || match[1] !== image.name) continue;
    const name = image.newName ?? match[1];
    const tag = image.newTag ?? match[2];
    container['image'] = `${name}${tag ? `:${tag}` : ''}${match[3] ?? ''}`;
  }
}
