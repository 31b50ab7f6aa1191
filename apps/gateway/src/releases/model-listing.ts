import type { ReleaseRecord, ReleaseStatus } from '@msp/contracts';
import type { ModelRoute } from '../discovery/model-registry.service.js';

/** One version as `GET /v1/models` shows it: registry status (when known) and live replicas. */
export interface ListedVersion {
  version: string;
  /** From the registry; absent for a predictor serving files the registry never saw (model-in-image). */
  status?: ReleaseStatus;
  /** Predictors that answered the gateway's last discovery round for this version. */
  replicas: number;
  accuracy?: number;
  created?: string;
  reason?: string;
}

export interface ListedModel {
  name: string;
  /** The version the registry releases (predictors started with MODEL_SOURCE=registry load it). */
  serving?: string;
  versions: ListedVersion[];
}

export interface ModelListing {
  /** `unreachable` when the registry did not answer in time: statuses are missing, replicas are not. */
  registry: 'ok' | 'unreachable';
  models: ListedModel[];
}

/**
 * Every model the registry or the predictors know, each version with its registry status and
 * its replica count, newest version first. Graphs are not listed (they have no releases).
 */
export function listModels(routes: readonly ModelRoute[], records: readonly ReleaseRecord[] | undefined): ModelListing {
  const models = new Map<string, Map<string, ListedVersion>>();
  const entry = (name: string, version: string): ListedVersion => {
    const versions = models.get(name) ?? new Map<string, ListedVersion>();
    models.set(name, versions);
    const found = versions.get(version) ?? { version, replicas: 0 };
    versions.set(version, found);
    return found;
  };
  for (const record of records ?? []) {
    Object.assign(entry(record.name, record.version), {
      status: record.status,
      ...(record.metrics['accuracy'] !== undefined ? { accuracy: record.metrics['accuracy'] } : {}),
      created: record.created,
      ...(record.reason !== undefined ? { reason: record.reason } : {}),
    });
  }
  for (const route of routes) {
    for (const known of route.versions) entry(route.name, known.model.version).replicas = known.instances;
  }
  const newestFirst = (a: ListedVersion, b: ListedVersion): number => b.version.localeCompare(a.version, 'en', { numeric: true });
  return {
    registry: records ? 'ok' : 'unreachable',
    models: [...models.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([name, versions]) => {
        const listed = [...versions.values()].sort(newestFirst);
        const serving = listed.find((version) => version.status === 'serving')?.version;
        return { name, ...(serving !== undefined ? { serving } : {}), versions: listed };
      }),
  };
}
