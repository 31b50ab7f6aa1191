import { ParameterRecordSchema, Parameters, parseParameter, type ParameterRecord } from '@msp/contracts';
import { openKvBucket, type KV, type NatsConnection } from '@msp/messaging';
import { followBucket } from './kv-watch.js';

/** A parameter change refused: an unknown name or a value of the wrong kind. */
export class ParameterError extends Error {
  override readonly name = 'ParameterError';
}

/**
 * Run-time parameters (parameter-based serving) in the JetStream KV bucket `msp-parameters`:
 * every value stored with who set it, when and what it replaced; the key's history (64
 * revisions) is its audit trail. Gateways follow it live.
 */
export class ParameterTable {
  constructor(private readonly kv: KV) {}

  static async open(nc: NatsConnection, bucket: string = Parameters.bucket): Promise<ParameterTable> {
    return new ParameterTable(await openKvBucket(nc, bucket, { history: Parameters.history }));
  }

  async get(name: string): Promise<ParameterRecord | undefined> {
    const entry = await this.kv.get(name);
    if (!entry || entry.operation !== 'PUT') return undefined;
    const parsed = ParameterRecordSchema.safeParse(entry.json());
    return parsed.success ? parsed.data : undefined;
  }

  /** Sets a parameter (checked by name); `null` clears it back to the default. Returns the stored record. */
  async set(name: string, value: unknown, by: string, reason?: string): Promise<ParameterRecord> {
    const previous = await this.get(name);
    let stored: unknown = null;
    if (value !== null) {
      const checked = parseParameter(name, value);
      if ('error' in checked) throw new ParameterError(checked.error);
      stored = checked.value;
    }
    const record: ParameterRecord = { value: stored, by, at: Date.now(), ...(previous ? { previous: previous.value } : {}), ...(reason ? { reason } : {}) };
    await this.kv.put(name, JSON.stringify(record));
    return record;
  }

  /** Every change of a parameter, oldest first (at most the bucket's history). */
  async history(name: string): Promise<ParameterRecord[]> {
    const records: ParameterRecord[] = [];
    const iterator = await this.kv.history({ key: name });
    for await (const entry of iterator) {
      if (entry.operation !== 'PUT') continue;
      const parsed = ParameterRecordSchema.safeParse(entry.json());
      if (parsed.success) records.push(parsed.data);
    }
    return records;
  }

  /** Calls `onChange` for every stored parameter at once, then on every change, until the signal aborts. A malformed entry is skipped. */
  watch(onChange: (name: string, record: ParameterRecord | undefined) => void, signal: AbortSignal): Promise<void> {
    return followBucket(
      this.kv,
      (entry) => {
        if (entry.operation !== 'PUT') return onChange(entry.key, undefined);
        const parsed = ParameterRecordSchema.safeParse(entry.json());
        onChange(entry.key, parsed.success && parsed.data.value !== null ? parsed.data : undefined);
      },
      signal,
    );
  }
}
