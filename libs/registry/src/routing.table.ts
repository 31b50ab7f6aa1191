import { Routing, RoutingPolicySchema, type RoutingPolicy } from '@msp/contracts';
import { openKvBucket, type KV, type NatsConnection } from '@msp/messaging';
import { followBucket } from './kv-watch.js';

/**
 * The routing policy of each model (latest, pinned, weighted canary) in a JetStream KV
 * bucket: `pnpm models route` writes it, every gateway watches it and applies a change at
 * once, without a restart. A model without an entry is routed `latest`.
 */
export class RoutingTable {
  constructor(private readonly kv: KV) {}

  static async open(nc: NatsConnection, bucket: string = Routing.bucket): Promise<RoutingTable> {
    return new RoutingTable(await openKvBucket(nc, bucket, { history: Routing.history }));
  }

  async get(model: string): Promise<RoutingPolicy> {
    const entry = await this.kv.get(model);
    if (!entry || entry.operation !== 'PUT') return { mode: 'latest' };
    return RoutingPolicySchema.parse(entry.json());
  }

  /** `latest` removes the entry: the default needs no record. */
  async set(model: string, policy: RoutingPolicy): Promise<void> {
    const valid = RoutingPolicySchema.parse(policy);
    if (valid.mode === 'latest') await this.kv.delete(model);
    else await this.kv.put(model, JSON.stringify(valid));
  }

  /**
   * Calls `onChange(model, policy)` for every stored policy at once, then on every change,
   * until the signal aborts. A malformed entry is reported as `latest` and `invalid`.
   */
  async watch(onChange: (model: string, policy: RoutingPolicy, invalid?: string) => void, signal: AbortSignal): Promise<void> {
    await followBucket(
      this.kv,
      (entry) => {
        if (entry.operation !== 'PUT') return onChange(entry.key, { mode: 'latest' });
        const parsed = RoutingPolicySchema.safeParse(entry.json());
        if (parsed.success) onChange(entry.key, parsed.data);
        else onChange(entry.key, { mode: 'latest' }, parsed.error.message);
      },
      signal,
    );
  }
}
