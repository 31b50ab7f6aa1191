import { isRecord } from '../yaml-load.js';

/** A Kubernetes object as parsed from YAML. */
export type K8sObject = Record<string, unknown> & { apiVersion: string; kind: string; metadata: { name: string } & Record<string, unknown> };

export function isK8sObject(value: unknown): value is K8sObject {
  return (
    isRecord(value) &&
    typeof value['apiVersion'] === 'string' &&
    typeof value['kind'] === 'string' &&
    isRecord(value['metadata']) &&
    typeof value['metadata']['name'] === 'string'
  );
}

export function objectId(object: K8sObject): string {
  return `${object.kind}/${object.metadata.name}`;
}

interface ModelClass {
  new (data: unknown): { validate(): void };
  prototype: { validate(this: unknown): void };
}

const modules = new Map<string, Promise<Record<string, unknown>>>();

/**
 * The kubernetes-models class for an apiVersion and kind: `apps/v1` + `Deployment` is
 * `Deployment` from `kubernetes-models/apps/v1`, `v1` + `Service` is from `kubernetes-models/v1`.
 */
async function modelClass(apiVersion: string, kind: string): Promise<ModelClass | undefined> {
  if (!/^([a-z0-9.-]+\/)?v\d+((alpha|beta)\d+)?$/.test(apiVersion) || !/^[A-Z]\w*$/.test(kind)) return undefined;
  let loading = modules.get(apiVersion);
  if (!loading) {
    loading = import(/* @vite-ignore */ `kubernetes-models/${apiVersion}`).then(
      (module: Record<string, unknown>) => module,
      () => ({}),
    );
    modules.set(apiVersion, loading);
  }
  const candidate = (await loading)[kind];
  return typeof candidate === 'function' ? (candidate as ModelClass) : undefined;
}

/**
 * Validates one object against the Kubernetes OpenAPI schema that kubernetes-models compiles:
 * types, required fields, formats. Those validators accept unknown fields, which the API server
 * rejects (kubectl's strict field validation) and which are usually typos (`readinessprobe`),
 * so a second pass records every property the validator reads and reports the rest.
 * Returns problems as `path: message` lines; empty when the object is valid.
 */
export async function validateK8sObject(object: unknown): Promise<string[]> {
  if (!isK8sObject(object)) return ['not a Kubernetes object (apiVersion, kind and metadata.name are required)'];
  const Model = await modelClass(object.apiVersion, object.kind);
  if (!Model) return [`no kubernetes-models schema for ${object.apiVersion} ${object.kind}`];
  try {
    new Model(object).validate();
  } catch (error) {
    return [error instanceof Error ? error.message : String(error)];
  }
  const tracker = new AccessTracker();
  Model.prototype.validate.call(tracker.wrap(object, ''));
  return tracker.unknownFields(object).map((path) => `${path}: unknown field (not in the ${object.kind} schema)`);
}

/**
 * Wraps a JSON value in proxies that note which keys of each object are read, and which objects
 * are enumerated as a whole (maps such as labels or resource requests: any key is allowed there).
 */
class AccessTracker {
  private readonly read = new Map<object, Set<PropertyKey>>();
  private readonly enumerated = new Set<object>();
  private readonly proxies = new Map<object, object>();

  wrap<T>(value: T, path: string): T {
    if (typeof value !== 'object' || value === null) return value;
    const cached = this.proxies.get(value);
    if (cached) return cached as T;
    const keys = new Set<PropertyKey>();
    this.read.set(value, keys);
    const proxy = new Proxy(value, {
      get: (target, key, receiver) => {
        keys.add(key);
        return this.wrap(Reflect.get(target, key, receiver) as unknown, `${path}/${String(key)}`);
      },
      has: (target, key) => {
        keys.add(key);
        return Reflect.has(target, key);
      },
      ownKeys: (target) => {
        this.enumerated.add(target);
        return Reflect.ownKeys(target);
      },
    });
    this.proxies.set(value, proxy);
    return proxy as T;
  }

  /** Paths (JSON pointer) of keys that were never read in objects whose keys the validator does check. */
  unknownFields(root: unknown): string[] {
    const unknown: string[] = [];
    const walk = (value: unknown, path: string): void => {
      if (Array.isArray(value)) {
        value.forEach((item, index) => walk(item, `${path}/${index}`));
        return;
      }
      if (!isRecord(value)) return;
      const keys = this.read.get(value);
      const checked = keys !== undefined && keys.size > 0 && !this.enumerated.has(value);
      for (const [key, child] of Object.entries(value)) {
        if (checked && !keys.has(key)) unknown.push(`${path}/${key}`);
        else walk(child, `${path}/${key}`);
      }
    };
    walk(root, '');
    return unknown;
  }
}
