import { RolloutRecordSchema, Rollouts, type RolloutRecord } from '@msp/contracts';
import { isRevisionConflict, openKvBucket, type KV, type NatsConnection } from '@msp/messaging';

/**
 * Metric-gated promotion's records in the registry: the JetStream KV bucket `msp-rollouts`, one
 * key per rollout, rewritten at every step with the numbers that justified it; the key's
 * history (64 revisions) keeps every earlier state. File storage: it survives a NATS restart.
 */
export class RolloutLog {
  constructor(private readonly kv: KV) {}

  static async open(nc: NatsConnection, bucket: string = Rollouts.bucket): Promise<RolloutLog> {
    return new RolloutLog(await openKvBucket(nc, bucket, { history: Rollouts.history }));
  }

  async get(id: string): Promise<RolloutRecord | undefined> {
    return (await this.entry(id))?.record;
  }

  /** The record and its revision (what `claim` compares against); undefined when it never ran. */
  async entry(id: string): Promise<{ record: RolloutRecord; revision: number } | undefined> {
    const entry = await this.kv.get(id);
    if (!entry || entry.operation !== 'PUT') return undefined;
    const parsed = RolloutRecordSchema.safeParse(entry.json());
    return parsed.success ? { record: parsed.data, revision: entry.revision } : undefined;
  }

  /**
   * Writes a new run's first record only if the key is still as the caller read it: absent
   * (`revision` undefined) or at `revision`. Compare-and-set, so of two gateways starting the
   * same rollout at once exactly one gets true; the other false (it lost the race), never both.
   */
  async claim(record: RolloutRecord, revision: number | undefined): Promise<boolean> {
    try {
      if (revision === undefined) await this.kv.create(record.id, JSON.stringify(record));
      else await this.kv.update(record.id, JSON.stringify(record), revision);
      return true;
    } catch (error) {
      if (isRevisionConflict(error)) return false;
      throw error;
    }
  }

  async put(record: RolloutRecord): Promise<void> {
    await this.kv.put(record.id, JSON.stringify(record));
  }

  /** The newest record of every rollout, by id. */
  async list(): Promise<RolloutRecord[]> {
    const records: RolloutRecord[] = [];
    for await (const key of await this.kv.keys()) {
      const record = await this.get(key);
      if (record) records.push(record);
    }
    return records.sort((a, b) => a.id.localeCompare(b.id));
  }
}
