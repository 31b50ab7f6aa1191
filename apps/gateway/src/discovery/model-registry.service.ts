import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import { MspError, type ModelMetadata, type PredictorModel } from '@msp/contracts';
import { LOGGER, type Logger } from '@msp/telemetry';
import { DISCOVERY_OPTIONS, type DiscoveryOptions } from './discovery.options.js';
import { PredictorDiscoveryClient, type PredictorInstance } from './predictor-discovery.client.js';

/** One version of a model as the running predictors advertise it. */
export interface KnownVersion {
  readonly model: PredictorModel;
  /** Instances that answered the last discovery round (0 while it is being forgotten). */
  readonly instances: number;
}

/** What a request for a model (and maybe one version) can go to, newest version first. */
export interface ModelRoute {
  readonly name: string;
  readonly versions: readonly KnownVersion[];
}

/**
 * One running replica the gateway may pick itself: it listens on a subject of its own. The same
 * object stands for the replica from round to round (the balancer keeps its health by it) until
 * it is dropped.
 */
export interface Replica {
  /** Its micro service id. */
  readonly id: string;
  readonly model: string;
  /** The subject only this replica listens on (`msp.infer-replica.<model>.<id>`). */
  readonly subject: string;
  /** When the last discovery round it answered started (epoch ms): its heartbeat. */
  readonly seenAt: number;
}

interface ReplicaEntry extends Replica {
  seenAt: number;
  /** The queue-group subjects it serves besides its own. */
  subjects: readonly string[];
  misses: number;
}

interface VersionEntry {
  model: PredictorModel;
  instances: number;
  misses: number;
}

const NO_REPLICAS: readonly Replica[] = [];

const byNewest = (a: string, b: string): number => b.localeCompare(a, 'en', { numeric: true });

/** Names that are safe as NATS subject tokens (`msp.infer.<model>[.<version>]`): no wildcards, no spaces. */
const ROUTABLE_MODEL = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
/** A version may hold dots (`1.2.0`): each part becomes one literal subject token. */
const ROUTABLE_VERSION = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;

export function isRoutable(model: PredictorModel): boolean {
  return ROUTABLE_MODEL.test(model.model) && ROUTABLE_VERSION.test(model.version);
}

/**
 * The models the gateway can route to, learnt from the predictors themselves (NATS micro
 * discovery), never from a static list: refreshed every interval, and on demand (rate
 * limited) when a request names a model not known yet. A version that no instance answers
 * for is forgotten after `missesToForget` rounds, so one late answer does not drop a model.
 * Lookups are synchronous map reads: the request path never waits for discovery unless the
 * model is unknown.
 */
@Injectable()
export class ModelRegistry implements OnApplicationBootstrap, OnModuleDestroy {
  private models = new Map<string, ModelRoute>();
  private readonly entries = new Map<string, Map<string, VersionEntry>>();
  private readonly replicaEntries = new Map<string, ReplicaEntry>();
  private replicasBySubject = new Map<string, readonly Replica[]>();
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<void> | undefined;
  private lastRoundStarted = 0;
  private readonly refused = new Set<string>();

  constructor(
    private readonly client: PredictorDiscoveryClient,
    @Inject(DISCOVERY_OPTIONS) private readonly options: DiscoveryOptions,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.timer = setInterval(() => void this.refresh(), this.options.intervalMs);
    this.timer.unref();
    await this.refresh();
  }

  /** Stops the rounds before the NATS connection drains on shutdown. */
  onModuleDestroy(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }

  /** One discovery round; concurrent callers share the round in flight. Never rejects. */
  refresh(): Promise<void> {
    this.inFlight ??= this.runRound().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** A round for a request that named an unknown model, at most every `onDemandMinIntervalMs`. */
  async refreshOnDemand(): Promise<void> {
    if (this.inFlight) return this.inFlight;
    if (Date.now() - this.lastRoundStarted < this.options.onDemandMinIntervalMs) return;
    return this.refresh();
  }

  /** The route for a model (and version), or undefined when it is not known (yet). */
  /** The version that answers `msp.infer.<model>` when exactly one has instances (none during a rollout). */
  liveVersion(model: string): string | undefined {
    const versions = this.find(model)?.versions ?? [];
    const live = versions.filter((known) => known.instances > 0);
    if (live.length === 1) return live[0]!.model.version;
    // Nothing running this moment (replicas restarting, or all gone for less than the forget
    // time): the one version known is still what a cached answer belongs to.
    return live.length === 0 && versions.length === 1 ? versions[0]!.model.version : undefined;
  }

  find(model: string, version?: string): ModelRoute | undefined {
    const route = this.models.get(model);
    if (!route || version === undefined) return route;
    const match = route.versions.find((known) => known.model.version === version);
    return match ? { name: model, versions: [match] } : undefined;
  }

  /** Like `find`, but an unknown model triggers discovery first and then a 404 naming what exists. */
  async resolve(model: string, version?: string): Promise<ModelRoute> {
    const known = this.find(model, version);
    if (known) return known;
    await this.refreshOnDemand();
    const found = this.find(model, version);
    if (found) return found;
    const route = this.models.get(model);
    if (route) {
      const versions = route.versions.map((known) => known.model.version).join(', ');
      throw MspError.notFound(`model '${model}' has no version '${version ?? ''}' (known versions: ${versions})`);
    }
    const names = [...this.models.keys()].sort();
    throw MspError.notFound(
      `unknown model '${model}' (known models: ${names.length ? names.join(', ') : 'none: no predictor is running'})`,
    );
  }

  /** Whether any model has at least one running instance. */
  hasServableModel(): boolean {
    for (const route of this.models.values()) {
      if (route.versions.some((known) => known.instances > 0)) return true;
    }
    return false;
  }

  /**
   * The replicas that serve a queue-group subject (`msp.infer.<model>[.<version>]`) and can be
   * sent to one by one; empty when any replica of it cannot (an older predictor without a subject
   * of its own): then the subject's queue group is what to call.
   */
  replicasFor(subject: string): readonly Replica[] {
    return this.replicasBySubject.get(subject) ?? NO_REPLICAS;
  }

  /** Every model route, with each version's live instance count. */
  routes(): ModelRoute[] {
    return [...this.models.values()];
  }

  list(): ModelMetadata[] {
    return [...this.models.values()].sort((a, b) => a.name.localeCompare(b.name)).map((route) => toMetadata(route));
  }

  /** Folds one discovery round, started at `startedAt`, into the registry (public for tests; `refresh` calls it). */
  apply(instances: readonly PredictorInstance[], startedAt = Date.now()): void {
    this.applyReplicas(instances, startedAt);
    const counts = new Map<string, Map<string, { model: PredictorModel; instances: number }>>();
    for (const { model } of instances) {
      if (!isRoutable(model)) {
        this.refuse(model);
        continue;
      }
      const versions = counts.get(model.model) ?? new Map<string, { model: PredictorModel; instances: number }>();
      counts.set(model.model, versions);
      const seen = versions.get(model.version);
      versions.set(model.version, { model, instances: (seen?.instances ?? 0) + 1 });
    }
    for (const [name, versions] of counts) {
      const entries = this.entries.get(name) ?? new Map<string, VersionEntry>();
      this.entries.set(name, entries);
      for (const [version, seen] of versions) {
        const before = entries.get(version);
        if (!before || before.instances !== seen.instances) {
          this.logger.info({ model: name, version, instances: seen.instances }, before ? 'predictor instances changed' : 'model version discovered');
        }
        entries.set(version, { model: seen.model, instances: seen.instances, misses: 0 });
      }
    }
    for (const [name, entries] of this.entries) {
      // A version replaced while another serves goes at once; a model's last one is kept a while (503, not 404).
      const anotherServes = (counts.get(name)?.size ?? 0) > 0;
      for (const [version, entry] of entries) {
        if (counts.get(name)?.has(version)) continue;
        entry.misses += 1;
        if (entry.instances > 0) {
          this.logger.warn({ model: name, version }, 'no predictor instance answered discovery');
          entry.instances = 0;
        }
        if (entry.misses >= (anotherServes ? this.options.missesToForgetVersion : this.options.missesToForget)) {
          entries.delete(version);
          this.logger.info({ model: name, version }, 'model version forgotten: no instance any more');
        }
      }
      if (entries.size === 0) this.entries.delete(name);
    }
    this.models = this.buildRoutes();
  }

  private applyReplicas(instances: readonly PredictorInstance[], startedAt: number): void {
    const answered = new Set<string>();
    // Subjects served by a replica that cannot be sent to alone: those stay with their queue group.
    const unaddressable = new Set<string>();
    for (const instance of instances) {
      if (!isRoutable(instance.model)) continue;
      if (instance.replicaSubject === undefined) {
        for (const subject of instance.subjects ?? []) unaddressable.add(subject);
        continue;
      }
      answered.add(instance.instanceId);
      const entry = this.replicaEntries.get(instance.instanceId);
      if (entry) {
        entry.seenAt = startedAt;
        entry.misses = 0;
        entry.subjects = instance.subjects ?? [];
      } else {
        this.replicaEntries.set(instance.instanceId, {
          id: instance.instanceId,
          model: instance.model.model,
          subject: instance.replicaSubject,
          seenAt: startedAt,
          subjects: instance.subjects ?? [],
          misses: 0,
        });
      }
    }
    const bySubject = new Map<string, Replica[]>();
    for (const [id, entry] of this.replicaEntries) {
      if (!answered.has(id) && ++entry.misses >= this.options.missesToDropReplica) {
        this.replicaEntries.delete(id);
        continue;
      }
      for (const subject of entry.subjects) {
        if (unaddressable.has(subject)) continue;
        const replicas = bySubject.get(subject) ?? [];
        replicas.push(entry);
        bySubject.set(subject, replicas);
      }
    }
    this.replicasBySubject = bySubject;
  }

  private refuse(model: PredictorModel): void {
    const key = `${model.model}@${model.version}`;
    if (this.refused.has(key)) return;
    this.refused.add(key);
    this.logger.warn({ model: model.model, version: model.version }, 'ignored a predictor whose model or version cannot be a NATS subject token');
  }

  private buildRoutes(): Map<string, ModelRoute> {
    const models = new Map<string, ModelRoute>();
    for (const [name, entries] of this.entries) {
      const versions = [...entries.values()]
        .sort((a, b) => byNewest(a.model.version, b.model.version))
        .map(({ model, instances }): KnownVersion => ({ model, instances }));
      models.set(name, { name, versions });
    }
    return models;
  }

  private async runRound(): Promise<void> {
    const startedAt = Date.now();
    this.lastRoundStarted = startedAt;
    try {
      this.apply(await this.client.discover(this.options.waitMs), startedAt);
    } catch (error) {
      // Keep what is known: readiness already reports a lost NATS connection.
      this.logger.warn({ err: error }, 'predictor discovery failed');
    }
  }
}

/** OIP model metadata: a model's versions, newest first, and the newest version's tensors. */
export function toMetadata(route: ModelRoute): ModelMetadata {
  const newest = route.versions[0];
  if (!newest) throw MspError.internal(`model '${route.name}' has no version`);
  return {
    name: route.name,
    versions: route.versions.map((known) => known.model.version),
    platform: newest.model.platform,
    inputs: newest.model.inputs,
    outputs: newest.model.outputs,
    parameters: {
      labels: newest.model.labels,
      instances: route.versions.reduce((sum, known) => sum + known.instances, 0),
      // "Nobody knows" is an anti-pattern: who owns the model and what it is, from its manifest.
      ...(newest.model.owner === undefined ? {} : { owner: newest.model.owner }),
      ...(newest.model.description === undefined ? {} : { description: newest.model.description }),
    },
  };
}
