import { Inject, Injectable, type OnApplicationBootstrap, type OnModuleDestroy } from '@nestjs/common';
import type { RoutingPolicy } from '@msp/contracts';
import { NATS_CONNECTION, type NatsConnection } from '@msp/messaging';
import { ModelRegistry as ReleaseRegistry, RoutingTable } from '@msp/registry';
import { LOGGER, type Logger } from '@msp/telemetry';
import { ModelRegistry } from '../discovery/model-registry.service.js';
import { keepWatching } from '../parameters/keep-watching.js';
import { chooseVersion } from './version-choice.js';

/**
 * Routing per model (training-to-serving): follows the policies in the `msp-routing` KV bucket
 * (`pnpm models route`) as they change, and picks the version of each request that names none.
 * Lookups are map reads; the request path never waits for the bucket.
 */
@Injectable()
export class RoutingService implements OnApplicationBootstrap, OnModuleDestroy {
  private readonly policies = new Map<string, RoutingPolicy>();
  /** `<model>@<version>` of versions the registry has retired or rejected: never chosen. */
  private readonly withdrawn = new Set<string>();
  private readonly stop = new AbortController();
  private watching: Promise<void> | undefined;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    private readonly discovery: ModelRegistry,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  onApplicationBootstrap(): void {
    this.watching = Promise.all([this.follow(), this.followReleases()]).then(() => undefined);
  }

  async onModuleDestroy(): Promise<void> {
    this.stop.abort();
    await this.watching;
  }

  /** The version for a request without one; undefined: the model's queue group (latest). */
  choose(model: string): string | undefined {
    const policy = this.policies.get(model);
    if (!policy || policy.mode === 'latest') return undefined;
    // A retired version leaves the routing as soon as the registry says so, before its
    // predictors drain and exit (and before discovery notices they are gone).
    const live = (this.discovery.find(model)?.versions ?? [])
      .filter((known) => known.instances > 0 && !this.withdrawn.has(`${model}@${known.model.version}`))
      .map((known) => known.model.version);
    return chooseVersion(policy, live);
  }

  policy(model: string): RoutingPolicy {
    return this.policies.get(model) ?? { mode: 'latest' };
  }

  private follow(): Promise<void> {
    return this.keepWatching('the routing policies', async () => {
      const table = await RoutingTable.open(this.nc);
      await table.watch((model, policy, invalid) => {
        if (invalid) this.logger.warn({ model, invalid }, `routing policy of ${model} is not valid; routing it latest`);
        if (policy.mode === 'latest') this.policies.delete(model);
        else this.policies.set(model, policy);
        this.logger.info({ model, policy }, `routing ${model}: ${policy.mode}`);
      }, this.stop.signal);
    });
  }

  private followReleases(): Promise<void> {
    return this.keepWatching('the release records', async () => {
      const registry = await ReleaseRegistry.open(this.nc);
      await registry.watchRecords((record) => {
        const key = `${record.name}@${record.version}`;
        if (record.status === 'retired' || record.status === 'rejected') this.withdrawn.add(key);
        else this.withdrawn.delete(key);
      }, this.stop.signal);
    });
  }

  private keepWatching(what: string, watch: () => Promise<void>): Promise<void> {
    return keepWatching(what, watch, this.stop.signal, this.logger);
  }
}
