import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Objm } from '@nats-io/obj';
import { Kvm } from '@nats-io/kv';
import { artefactName, Registry, type ReleaseRecord } from '@msp/contracts';
import { ModelRegistry, RegistryError, RoutingTable, type Registration } from './index.js';
import { manifestFor } from './manifest.fixture.js';

/** Integration: the registry against the real nats-server (JetStream) on NATS_URL. */
const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
// Unique model names per run: the buckets are the project's own, shared with other runs.
const run = `t${process.pid}${Date.now()}`;
const modelName = (suffix: string) => `spec-${run}-${suffix}`;

function registration(name: string, content: string, extra: Partial<Registration> = {}): Registration {
  const onnx = new TextEncoder().encode(content);
  return {
    manifest: manifestFor(name, onnx),
    onnx,
    status: 'candidate',
    metrics: { accuracy: 0.9, cvAccuracy: 0.95 },
    params: { hidden: 16, epochs: 200 },
    codeRevision: 'abc123',
    owner: 'spec',
    ...extra,
  };
}

async function failure(promise: Promise<unknown>): Promise<RegistryError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(error).toBeInstanceOf(RegistryError);
  return error as RegistryError;
}

let nc: NatsConnection;
let registry: ModelRegistry;

beforeAll(async () => {
  nc = await connect({ servers: NATS_URL });
  registry = await ModelRegistry.open(nc);
});

afterAll(async () => {
  await nc?.drain();
});

describe('ModelRegistry over a real JetStream', () => {
  it('numbers versions 1, 2… and records data, params, metrics, revision, owner and digest', async () => {
    const name = modelName('record');
    const v1 = await registry.register(registration(name, 'model one'));
    const v2 = await registry.register(registration(name, 'model two', { status: 'rejected', reason: 'below the gate' }));
    expect([v1.version, v2.version]).toEqual(['1', '2']);
    expect(v1).toMatchObject({
      name,
      status: 'candidate',
      metrics: { accuracy: 0.9, cvAccuracy: 0.95 },
      dataset: { name: 'iris', version: '1.2.1', seed: 42 },
      params: { hidden: 16, epochs: 200 },
      codeRevision: 'abc123',
      owner: 'spec',
      digest: createHash('sha256').update('model one').digest('hex'),
      bytes: 9,
      manifest: { name, version: '1' },
    });
    expect(v2).toMatchObject({ status: 'rejected', reason: 'below the gate' });
    expect((await registry.versions(name)).map((r) => [r.version, r.status])).toEqual([['1', 'candidate'], ['2', 'rejected']]);
    expect(await registry.models()).toContain(name);
  });

  it('verifies the artefact against its digest on every read', async () => {
    const name = modelName('digest');
    const record = await registry.register(registration(name, 'good bytes'));
    const artefact = await registry.artefact(name, record.version);
    expect(new TextDecoder().decode(artefact.onnx)).toBe('good bytes');
    expect(artefact.manifest.version).toBe(record.version);

    // Someone overwrites the object behind the registry's back.
    const store = await new Objm(nc).open(Registry.artefacts);
    await store.putBlob({ name: artefactName(name, record.digest) }, new TextEncoder().encode('tampered'));
    const error = await failure(registry.artefact(name, record.version));
    expect(error.kind).toBe('corrupt');
    expect(error.message).toMatch(/artefact sha256 is [a-f0-9]{64} \(8 bytes\), the release record says/);
  });

  it('promotes: the new version serves, the previous one is retired with the reason', async () => {
    const name = modelName('promote');
    await registry.register(registration(name, 'p1'));
    await registry.register(registration(name, 'p2'));
    expect(await registry.serving(name)).toBeUndefined();
    await registry.promote(name, '1');
    expect((await registry.serving(name))?.version).toBe('1');
    await registry.promote(name, '2');
    const [v1, v2] = await registry.versions(name);
    expect(v1).toMatchObject({ status: 'retired', reason: 'replaced by v2' });
    expect(v2?.status).toBe('serving');
    expect((await registry.history(name, '1')).map((r) => r.status)).toEqual(['candidate', 'serving', 'retired']);
  });

  it('never serves a rejected version', async () => {
    const name = modelName('rejected');
    await registry.register(registration(name, 'bad', { status: 'rejected', reason: 'accuracy 0.3 < gate 0.9' }));
    const error = await failure(registry.promote(name, '1'));
    expect(error.kind).toBe('conflict');
    expect(error.message).toContain('rejected by the gate (accuracy 0.3 < gate 0.9)');
  });

  it('rolls back to the previous retired version', async () => {
    const name = modelName('rollback');
    for (const content of ['r1', 'r2']) await registry.register(registration(name, content));
    await registry.promote(name, '1');
    await registry.promote(name, '2');
    const back = await registry.rollback(name);
    expect(back).toMatchObject({ version: '1', status: 'serving', reason: 'rolled back from v2' });
    expect((await registry.get(name, '2')).status).toBe('retired');
    expect((await failure(registry.rollback(name))).message).toMatch(/no retired version older than v1/);
  });

  it('keeps the artefacts of the newest N versions and purges older retired ones', async () => {
    const name = modelName('keep');
    for (const content of ['k1', 'k2', 'k3']) await registry.register(registration(name, content));
    for (const version of ['1', '2', '3']) await registry.promote(name, version, { keep: 2 });
    const records = await registry.versions(name);
    expect(records.map((r) => [r.version, r.status, r.purged ?? false])).toEqual([
      ['1', 'retired', true],
      ['2', 'retired', false],
      ['3', 'serving', false],
    ]);
    expect((await failure(registry.artefact(name, '1'))).message).toContain('purged');
    expect((await failure(registry.promote(name, '1'))).kind).toBe('conflict');
    await expect(registry.artefact(name, '2')).resolves.toBeDefined();
  });

  it('retires the candidate and serving versions below an offline metric', async () => {
    const name = modelName('below');
    await registry.register(registration(name, 'b1', { metrics: { accuracy: 0.97 } }));
    await registry.register(registration(name, 'b2', { metrics: { accuracy: 0.91 } }));
    await registry.register(registration(name, 'b3', { metrics: { accuracy: 0.8 }, status: 'rejected', reason: 'gate' }));
    await registry.promote(name, '2');
    const retired = await registry.retireBelow(name, 'accuracy', 0.95);
    expect(retired.map((r) => [r.version, r.status, r.reason])).toEqual([['2', 'retired', 'accuracy 0.9100 is below 0.95 (retirement policy)']]);
    expect((await registry.versions(name)).map((r) => r.status)).toEqual(['candidate', 'retired', 'rejected']);
  });

  it('names what exists when a model or version is unknown', async () => {
    const name = modelName('unknown');
    await registry.register(registration(name, 'u1'));
    const version = await failure(registry.get(name, '7'));
    expect(version.kind).toBe('unknown-version');
    expect(version.message).toBe(`${name} has no version '7' (it has v1)`);
    const model = await failure(registry.versions(modelName('nothing')));
    expect(model.kind).toBe('unknown-model');
    expect(model.message).toMatch(new RegExp(`no model 'spec-${run}-nothing' in the registry \\(it has .*${name}`));
  });

  it('tells a watcher the serving version at once and on every change', async () => {
    const name = modelName('watch');
    await registry.register(registration(name, 'w1'));
    await registry.register(registration(name, 'w2'));
    await registry.promote(name, '1');
    const seen: (string | undefined)[] = [];
    const controller = new AbortController();
    const changed = (count: number) => expect.poll(() => seen.length, { timeout: 5000 }).toBe(count);
    const watching = registry.watchServing(name, (record: ReleaseRecord | undefined) => {
      seen.push(record?.version);
    }, controller.signal);
    await changed(1);
    await registry.promote(name, '2');
    await changed(2);
    await registry.retire(name, '2');
    await changed(3);
    controller.abort();
    await watching;
    expect(seen).toEqual(['1', '2', undefined]);
  });
});

describe('ModelRegistry.watchRecords', () => {
  it('tells a watcher every record and every status change', async () => {
    const name = modelName('records');
    await registry.register(registration(name, 'rec1'));
    const seen: string[] = [];
    const controller = new AbortController();
    const watching = registry.watchRecords((record) => {
      if (record.name === name) seen.push(`${record.version}:${record.status}`);
    }, controller.signal);
    await expect.poll(() => seen.length, { timeout: 5000 }).toBe(1);
    await registry.promote(name, '1');
    await registry.retire(name, '1');
    await expect.poll(() => seen, { timeout: 5000 }).toEqual(['1:candidate', '1:serving', '1:retired']);
    controller.abort();
    await watching;
  });
});

describe('RoutingTable over a real JetStream', () => {
  it('stores a policy per model, defaults to latest, and tells a watcher every change', async () => {
    const bucket = `spec-routing-${run}`;
    const table = await RoutingTable.open(nc, bucket);
    const model = modelName('route');
    expect(await table.get(model)).toEqual({ mode: 'latest' });
    const seen: unknown[] = [];
    const controller = new AbortController();
    const watching = table.watch((name, policy) => {
      if (name === model) seen.push(policy);
    }, controller.signal);
    await table.set(model, { mode: 'weighted', weights: { '1': 90, '2': 10 } });
    expect(await table.get(model)).toEqual({ mode: 'weighted', weights: { '1': 90, '2': 10 } });
    await table.set(model, { mode: 'pinned', version: '2' });
    await table.set(model, { mode: 'latest' });
    await expect.poll(() => seen.length, { timeout: 5000 }).toBe(3);
    expect(seen).toEqual([{ mode: 'weighted', weights: { '1': 90, '2': 10 } }, { mode: 'pinned', version: '2' }, { mode: 'latest' }]);
    controller.abort();
    await watching;
    await expect(table.set(model, { mode: 'weighted', weights: { '1': 0 } })).rejects.toThrow(/at least one weight/);
    await (await new Kvm(nc).open(bucket)).destroy();
  });
});
