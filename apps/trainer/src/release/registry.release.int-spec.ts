import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import { Objm } from '@nats-io/obj';
import { ModelRegistry } from '@msp/registry';
import { runTraining, type TrainingRun } from '../pipeline/training.pipeline.js';

/**
 * Integration: `pnpm train --model` (train → evaluate → gate → register → release) against a
 * real JetStream, in buckets of its own so a running system's registry is never touched.
 */
const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const run = `t${process.pid}${Date.now()}`;
const buckets = { artefacts: `spec-models-${run}`, releases: `spec-releases-${run}` };

let nc: NatsConnection;
let registry: ModelRegistry;

function train(extra: Partial<TrainingRun> = {}) {
  return runTraining({
    models: ['iris-softmax'],
    missingOnly: false,
    modelsDir: '/nonexistent', // never written in registry mode
    version: '1',
    seed: 42,
    producerVersion: 'spec',
    registry: { registry, owner: 'spec', codeRevision: 'rev-1', release: true, keep: 3 },
    log: () => undefined,
    ...extra,
  });
}

beforeAll(async () => {
  nc = await connect({ servers: NATS_URL });
  registry = await ModelRegistry.open(nc, buckets);
});

afterAll(async () => {
  await (await new Kvm(nc).open(buckets.releases)).destroy().catch(() => undefined);
  await (await new Objm(nc).open(buckets.artefacts)).destroy().catch(() => undefined);
  await nc?.drain();
});

describe('pnpm train --model against the registry', () => {
  it('registers and releases the first version, recording data, params, metrics, revision and owner', async () => {
    const [result] = await train();
    expect(result).toMatchObject({ name: 'iris-softmax', status: 'pass' });
    const record = await registry.get('iris-softmax', '1');
    expect(record).toMatchObject({
      status: 'serving',
      dataset: { name: 'iris', seed: 42 },
      owner: 'spec',
      codeRevision: 'rev-1',
      manifest: { name: 'iris-softmax', version: '1' },
    });
    expect(record.metrics['accuracy']).toBeGreaterThanOrEqual(0.93);
    expect(record.params).toHaveProperty('epochs');
    expect(record.reason).toMatch(/^released by the trainer: cross-validated accuracy 0\.\d{4} \(5-fold on 120 training rows\) ≥ gate 0\.93; .*nothing serving yet/);
    expect(record.metrics['cvAccuracy']).toBeGreaterThanOrEqual(0.93);
  });

  it('refuses a model trained on shuffled labels, records it as rejected with the reason, and keeps v1 serving', async () => {
    const [result] = await train({ shuffleLabels: true });
    expect(result?.status).toBe('fail');
    const rejected = await registry.get('iris-softmax', '2');
    expect(rejected.status).toBe('rejected');
    // Iris is gated on 5-fold cross-validated accuracy (30 held-out rows make 0.93 seed-sensitive).
    expect(rejected.reason).toMatch(/^cross-validated accuracy 0\.\d{4} \(5-fold on 120 training rows\) is below the gate 0\.93$/);
    expect((await registry.serving('iris-softmax'))?.version).toBe('1');
  });

  it('releases a retrained model that is not worse, retiring the previous version', async () => {
    const [result] = await train();
    expect(result?.status).toBe('pass');
    const [v1, , v3] = await registry.versions('iris-softmax');
    expect(v1).toMatchObject({ status: 'retired', reason: 'replaced by v3' });
    expect(v3?.status).toBe('serving');
    expect(v3?.reason).toMatch(/not worse than serving v1's 0\.\d{4} on the same 30 held-out rows/);
  });

  it('--search: tries the grid with cross-validation, records every trial and releases the best', async () => {
    const [result] = await train({ search: true });
    expect(result?.status).toBe('pass');
    const record = await registry.get('iris-softmax', '4');
    expect(record.status).toBe('serving');
    expect(record.trials).toHaveLength(9);
    const best = Math.max(...record.trials!.map((trial) => trial.score));
    expect(record.metrics['cvAccuracy']).toBe(best);
    const chosen = record.trials!.find((trial) => trial.score === best)!.params;
    expect(record.params).toMatchObject({ epochs: chosen['epochs'], learningRate: chosen['learningRate'] });
  });

  it('with release off, registers a passing model as a candidate only', async () => {
    await train({ registry: { registry, owner: 'spec', release: false, keep: 3 } });
    expect((await registry.get('iris-softmax', '5')).status).toBe('candidate');
    expect((await registry.serving('iris-softmax'))?.version).toBe('4');
  });
});
