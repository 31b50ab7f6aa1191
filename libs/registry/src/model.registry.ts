import { createHash } from 'node:crypto';
import {
  artefactName,
  Registry,
  ReleaseRecordSchema,
  releaseKey,
  type ModelManifest,
  type ReleaseRecord,
  type ReleaseStatus,
  type Trial,
} from '@msp/contracts';
import { openKvBucket, openObjectStore, type KV, type NatsConnection, type ObjectStore } from '@msp/messaging';
import { RegistryError } from './registry.error.js';

/** What the trainer hands over; the registry assigns the version and the timestamps. */
export interface Registration {
  manifest: ModelManifest;
  onnx: Uint8Array;
  status: Extract<ReleaseStatus, 'candidate' | 'rejected'>;
  reason?: string;
  metrics: Record<string, number>;
  params: Record<string, unknown>;
  trials?: Trial[];
  codeRevision?: string;
  owner: string;
}

/** A version's manifest (carrying its registry version) and its verified ONNX bytes. */
export interface Artefact {
  record: ReleaseRecord;
  manifest: ModelManifest;
  onnx: Uint8Array;
}

export interface RegistryBuckets {
  artefacts: string;
  releases: string;
}

export interface PromoteOptions {
  reason?: string;
  /** Versions whose artefacts are kept (the serving one among them); older ones are purged. Infinity purges none (a writer without rights to delete artefacts). */
  keep?: number;
}

/** A KV update lost a race with another writer: read again and retry, a few times. */
const CAS_ATTEMPTS = 5;

/**
 * The model registry: ONNX artefacts in a JetStream Object Store (content-addressed, checked
 * against their SHA-256 on every read) and one release record per version in a JetStream KV
 * bucket, both on file storage so they survive a NATS restart. Status changes are
 * compare-and-set on the record's revision, so two writers never both win.
 */
export class ModelRegistry {
  constructor(
    private readonly records: KV,
    private readonly artefacts: ObjectStore,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The project's buckets; tests pass their own so they never touch a running system's registry. */
  static async open(nc: NatsConnection, buckets: RegistryBuckets = Registry): Promise<ModelRegistry> {
    const [records, artefacts] = await Promise.all([
      openKvBucket(nc, buckets.releases, { history: Registry.history }),
      openObjectStore(nc, buckets.artefacts),
    ]);
    return new ModelRegistry(records, artefacts);
  }

  /** Stores the artefact and records it as the model's next version (1, 2, 3…). */
  async register(registration: Registration): Promise<ReleaseRecord> {
    const { manifest, onnx } = registration;
    const digest = sha256Hex(onnx);
    // Content-addressed: two versions with the same bytes share one object, and a racing
    // writer can never overwrite another version's artefact.
    await this.artefacts.putBlob({ name: artefactName(manifest.name, digest) }, onnx);
    for (let attempt = 0; attempt < CAS_ATTEMPTS; attempt += 1) {
      const version = String(1 + Math.max(0, ...(await this.versionNumbers(manifest.name))));
      const created = this.now().toISOString();
      const record = ReleaseRecordSchema.parse({
        name: manifest.name,
        version,
        status: registration.status,
        ...(registration.reason !== undefined ? { reason: registration.reason } : {}),
        metrics: registration.metrics,
        dataset: { name: manifest.dataset.name, version: manifest.dataset.packageVersion, seed: manifest.dataset.seed },
        params: registration.params,
        ...(registration.trials !== undefined ? { trials: registration.trials } : {}),
        ...(registration.codeRevision !== undefined ? { codeRevision: registration.codeRevision } : {}),
        owner: registration.owner,
        created,
        updated: created,
        digest,
        bytes: onnx.byteLength,
        manifest: { ...manifest, version },
      });
      try {
        await this.records.create(releaseKey(record.name, version), JSON.stringify(record));
        return record;
      } catch (error) {
        if (attempt === CAS_ATTEMPTS - 1) throw error; // another writer took the version: next one
      }
    }
    throw new Error('unreachable');
  }

  /** Every model with at least one version, sorted. */
  async models(): Promise<string[]> {
    const names = new Set<string>();
    for await (const key of await this.records.keys()) names.add(key.slice(0, key.lastIndexOf('.')));
    return [...names].sort();
  }

  /** Every version of a model, oldest first; unknown-model when it has none. */
  async versions(name: string): Promise<ReleaseRecord[]> {
    const numbers = await this.versionNumbers(name);
    if (numbers.length === 0) throw await this.unknownModel(name);
    const records = await Promise.all(numbers.sort((a, b) => a - b).map((n) => this.find(name, String(n))));
    return records.filter((record): record is ReleaseRecord => record !== undefined);
  }

  async get(name: string, version: string): Promise<ReleaseRecord> {
    return (await this.entry(name, version)).record;
  }

  /** Every revision of a version's record, oldest first: how its status changed and why. */
  async history(name: string, version: string): Promise<ReleaseRecord[]> {
    await this.entry(name, version);
    const revisions: ReleaseRecord[] = [];
    const iterator = await this.records.history({ key: releaseKey(name, version) });
    for await (const entry of iterator) {
      if (entry.operation === 'PUT') revisions.push(ReleaseRecordSchema.parse(entry.json()));
    }
    return revisions;
  }

  /**
   * The version predictors should load, or undefined. During a promotion two versions may
   * be `serving` for a moment (the new one is written first): the newest wins.
   */
  async serving(name: string): Promise<ReleaseRecord | undefined> {
    const serving = (await this.versions(name)).filter((record) => record.status === 'serving');
    return serving.at(-1);
  }

  /** The version's manifest and ONNX bytes, refused unless the bytes match the recorded SHA-256. */
  async artefact(name: string, version: string): Promise<Artefact> {
    const record = await this.get(name, version);
    if (record.purged) {
      throw new RegistryError('corrupt', `${name} v${version}: its artefact was purged by the retention policy`);
    }
    const onnx = await this.artefacts.getBlob(artefactName(name, record.digest));
    if (!onnx) throw new RegistryError('corrupt', `${name} v${version}: artefact ${artefactName(name, record.digest)} is missing`);
    const digest = sha256Hex(onnx);
    if (digest !== record.digest) {
      throw new RegistryError(
        'corrupt',
        `${name} v${version}: artefact sha256 is ${digest} (${onnx.byteLength} bytes), the release record says ` +
          `${record.digest} (${record.bytes} bytes); refusing it`,
      );
    }
    return { record, manifest: record.manifest, onnx };
  }

  /**
   * Makes a version the serving one: it is written as serving first, then the previous
   * serving version is retired, so a watcher never sees a model with nothing to serve.
   * Then purges artefacts beyond the newest `keep` versions (records stay as history).
   */
  async promote(name: string, version: string, options: PromoteOptions = {}): Promise<ReleaseRecord> {
    const promoted = await this.transition(name, version, (record) => {
      if (record.status === 'rejected') {
        throw new RegistryError('conflict', `${name} v${version} was rejected by the gate (${record.reason ?? 'no reason recorded'}); it is never served`);
      }
      if (record.purged) throw new RegistryError('conflict', `${name} v${version}: its artefact was purged; it cannot be served again`);
      return { status: 'serving', ...(options.reason !== undefined ? { reason: options.reason } : {}) };
    });
    for (const other of await this.versions(name)) {
      if (other.status === 'serving' && other.version !== version) {
        await this.transition(name, other.version, () => ({ status: 'retired', reason: `replaced by v${version}` }));
      }
    }
    await this.applyRetention(name, options.keep ?? Registry.defaultKeep);
    return promoted;
  }

  /** Takes a version out of service (or out of the candidates); a rejected one stays rejected. */
  async retire(name: string, version: string, reason = 'retired by hand'): Promise<ReleaseRecord> {
    return this.transition(name, version, (record) => {
      if (record.status === 'rejected') throw new RegistryError('conflict', `${name} v${version} is rejected; it was never served`);
      if (record.status === 'retired') throw new RegistryError('conflict', `${name} v${version} is already retired`);
      return { status: 'retired', reason };
    });
  }

  /**
   * Retirement by an offline metric: retires every candidate or serving version whose recorded
   * metric (e.g. `accuracy`, `cvAccuracy`) is below `min`; versions without it are left alone.
   * Retiring the serving version leaves the model with nothing to serve: its model-load
   * predictors drain and exit.
   */
  async retireBelow(name: string, metric: string, min: number): Promise<ReleaseRecord[]> {
    const retired: ReleaseRecord[] = [];
    for (const record of await this.versions(name)) {
      const value = record.metrics[metric];
      if ((record.status === 'candidate' || record.status === 'serving') && value !== undefined && value < min) {
        retired.push(await this.retire(name, record.version, `${metric} ${value.toFixed(4)} is below ${min} (retirement policy)`));
      }
    }
    return retired;
  }

  /** Serves again the newest retired version older than the serving one, whose artefact is kept. */
  async rollback(name: string): Promise<ReleaseRecord> {
    const versions = await this.versions(name);
    const current = versions.filter((record) => record.status === 'serving').at(-1);
    if (!current) throw new RegistryError('conflict', `${name} has no serving version to roll back from`);
    const target = versions
      .filter((record) => record.status === 'retired' && !record.purged && Number(record.version) < Number(current.version))
      .at(-1);
    if (!target) {
      throw new RegistryError('conflict', `${name}: no retired version older than v${current.version} with its artefact kept to roll back to`);
    }
    const promoted = await this.promote(name, target.version, { reason: `rolled back from v${current.version}` });
    return promoted;
  }

  /**
   * Calls `onChange` with the serving version at once and whenever it changes, until the
   * signal aborts. Used by a predictor that loads its model from the registry.
   */
  async watchServing(name: string, onChange: (record: ReleaseRecord | undefined) => void | Promise<void>, signal: AbortSignal): Promise<void> {
    const watcher = await this.records.watch({ key: `${name}.*` });
    const stop = (): void => watcher.stop();
    signal.addEventListener('abort', stop, { once: true });
    let last: string | undefined;
    try {
      for await (const _entry of watcher) {
        const serving = await this.serving(name).catch(() => undefined);
        const key = serving ? `${serving.version}:${serving.digest}` : '';
        if (key !== last) {
          last = key;
          await onChange(serving);
        }
      }
    } finally {
      signal.removeEventListener('abort', stop);
    }
  }

  /**
   * Calls `onRecord` with every release record at once, then with every change, until the
   * signal aborts (a gateway keeps retired versions out of its routing with it).
   */
  async watchRecords(onRecord: (record: ReleaseRecord) => void, signal: AbortSignal): Promise<void> {
    const watcher = await this.records.watch();
    const stop = (): void => watcher.stop();
    signal.addEventListener('abort', stop, { once: true });
    try {
      for await (const entry of watcher) {
        if (entry.operation !== 'PUT') continue;
        const parsed = ReleaseRecordSchema.safeParse(entry.json());
        if (parsed.success) onRecord(parsed.data);
      }
    } finally {
      signal.removeEventListener('abort', stop);
    }
  }

  private async applyRetention(name: string, keep: number): Promise<void> {
    const versions = await this.versions(name);
    const kept = versions.filter((record) => !record.purged && record.status !== 'candidate');
    const newest = new Set(kept.slice(-Math.max(1, keep)).map((record) => record.version));
    for (const record of kept) {
      if (newest.has(record.version) || record.status === 'serving') continue;
      await this.transition(name, record.version, () => ({ purged: true }));
      const stillUsed = versions.some((other) => other.digest === record.digest && other.version !== record.version && !other.purged);
      if (!stillUsed) await this.artefacts.delete(artefactName(name, record.digest));
    }
  }

  /** Compare-and-set on the record's revision: a concurrent change is re-read and re-checked. */
  private async transition(
    name: string,
    version: string,
    change: (record: ReleaseRecord) => Partial<Pick<ReleaseRecord, 'status' | 'reason' | 'purged'>>,
  ): Promise<ReleaseRecord> {
    for (let attempt = 0; ; attempt += 1) {
      const { record, revision } = await this.entry(name, version);
      const next = ReleaseRecordSchema.parse({ ...record, ...change(record), updated: this.now().toISOString() });
      try {
        await this.records.update(releaseKey(name, version), JSON.stringify(next), revision);
        return next;
      } catch (error) {
        if (attempt >= CAS_ATTEMPTS - 1) throw error;
      }
    }
  }

  private async entry(name: string, version: string): Promise<{ record: ReleaseRecord; revision: number }> {
    const found = await this.findEntry(name, version);
    if (found) return found;
    const numbers = await this.versionNumbers(name);
    if (numbers.length === 0) throw await this.unknownModel(name);
    throw new RegistryError(
      'unknown-version',
      `${name} has no version '${version}' (it has ${numbers.sort((a, b) => a - b).map((n) => `v${n}`).join(', ')})`,
    );
  }

  private async find(name: string, version: string): Promise<ReleaseRecord | undefined> {
    return (await this.findEntry(name, version))?.record;
  }

  private async findEntry(name: string, version: string): Promise<{ record: ReleaseRecord; revision: number } | undefined> {
    if (!/^[a-z0-9-]+$/.test(name) || !/^[0-9]+$/.test(version)) return undefined; // not a valid key
    const entry = await this.records.get(releaseKey(name, version));
    if (!entry || entry.operation !== 'PUT') return undefined;
    return { record: ReleaseRecordSchema.parse(entry.json()), revision: entry.revision };
  }

  private async versionNumbers(name: string): Promise<number[]> {
    if (!/^[a-z0-9-]+$/.test(name)) return [];
    const numbers: number[] = [];
    for await (const key of await this.records.keys(`${name}.*`)) numbers.push(Number(key.slice(name.length + 1)));
    return numbers;
  }

  private async unknownModel(name: string): Promise<RegistryError> {
    const known = await this.models();
    return new RegistryError(
      'unknown-model',
      `no model '${name}' in the registry (${known.length > 0 ? `it has ${known.join(', ')}` : 'it is empty'})`,
    );
  }
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
