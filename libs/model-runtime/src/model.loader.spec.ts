import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ModelLoadError } from './model-load.error.js';
import { loadModel } from './model.loader.js';
import { softmaxClassifierOnnx, writeFixtureModel } from './testing/onnx-fixture.js';

const ONNX = softmaxClassifierOnnx(
  [
    [1, 0, 0],
    [0, 1, 0],
    [0, 0, 1],
    [0, 0, 0],
  ],
  [0, 0, 0],
);
const INPUTS = [{ name: 'input', datatype: 'FP32' as const, shape: [-1, 4] }];
const OUTPUTS = [{ name: 'probabilities', datatype: 'FP32' as const, shape: [-1, 3] }];
const LABELS = ['x', 'y', 'z'];

describe('loadModel', () => {
  let modelsDir: string;
  beforeAll(async () => {
    modelsDir = await mkdtemp(join(tmpdir(), 'msp-loader-'));
  });
  afterAll(async () => {
    await rm(modelsDir, { recursive: true, force: true });
  });

  async function failure(name: string): Promise<ModelLoadError> {
    const error = await loadModel({ modelsDir, name, maxBatchRows: 4 }).then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ModelLoadError);
    return error as ModelLoadError;
  }

  it('loads, verifies and warms up a good model', async () => {
    await writeFixtureModel(modelsDir, { name: 'good', onnx: ONNX, inputs: INPUTS, outputs: OUTPUTS, labels: LABELS });
    const loaded = await loadModel({ modelsDir, name: 'good', maxBatchRows: 4 });
    try {
      expect(loaded.sha256).toBe(loaded.manifest.onnx.sha256);
      expect(loaded.onnxPath).toBe(join(modelsDir, 'good', 'model.onnx'));
      expect(loaded.warmUpMs).toBeGreaterThanOrEqual(0);
      expect(loaded.runner.metadata).toEqual({
        name: 'good',
        versions: ['1'],
        platform: 'onnxruntime',
        inputs: INPUTS,
        outputs: [...OUTPUTS, { name: 'label', datatype: 'BYTES', shape: [-1] }],
        // What a client reads about the model besides its tensors: the manifest's labels and description.
        parameters: { labels: LABELS, description: 'test fixture' },
      });
      expect(loaded.runner.predictorModel).toMatchObject({ model: 'good', version: '1', labels: LABELS });
    } finally {
      await loaded.runner.release();
    }
  });

  it('refuses a model file whose sha256 does not match the manifest', async () => {
    await writeFixtureModel(modelsDir, {
      name: 'tampered',
      onnx: ONNX,
      inputs: INPUTS,
      outputs: OUTPUTS,
      labels: LABELS,
      manifest: {
        onnx: { file: 'model.onnx', sha256: 'a'.repeat(64), bytes: ONNX.byteLength, opset: 17 },
      },
    });
    const error = await failure('tampered');
    expect(error.file).toBe(join(modelsDir, 'tampered', 'model.onnx'));
    expect(error.message).toMatch(/does not match its manifest: its sha256 is [0-9a-f]{64}/);
    expect(error.message).toContain(`says ${'a'.repeat(64)}`);
    expect(error.message).toContain('refusing to serve it');
  });

  it('names the missing manifest', async () => {
    const error = await failure('absent');
    expect(error.file).toBe(join(modelsDir, 'absent', 'manifest.json'));
    expect(error.message).toContain('does not exist');
  });

  it('lists what is wrong with an invalid manifest', async () => {
    await writeFixtureModel(modelsDir, { name: 'bad-manifest', onnx: ONNX, inputs: INPUTS, outputs: OUTPUTS });
    const path = join(modelsDir, 'bad-manifest', 'manifest.json');
    await writeFile(path, JSON.stringify({ name: 'bad-manifest', version: '1', labels: ['only-one'] }));
    const error = await failure('bad-manifest');
    expect(error.file).toBe(path);
    expect(error.message).toContain(`${path} is not a valid model manifest`);
    expect(error.message).toContain('labels:');
    expect(error.message).toContain('onnx:');
  });

  it('refuses a manifest that is not JSON', async () => {
    await writeFixtureModel(modelsDir, { name: 'not-json', onnx: ONNX, inputs: INPUTS, outputs: OUTPUTS });
    await writeFile(join(modelsDir, 'not-json', 'manifest.json'), '{ nope');
    expect((await failure('not-json')).message).toContain('is not valid JSON');
  });

  it('refuses a manifest that does not describe the graph', async () => {
    await writeFixtureModel(modelsDir, {
      name: 'mismatch',
      onnx: ONNX,
      inputs: [{ name: 'features', datatype: 'FP64', shape: [-1, 4] }],
      outputs: [{ name: 'scores', datatype: 'FP32', shape: [-1, 3] }],
    });
    const error = await failure('mismatch');
    expect(error.message).toContain('inputs are [features] in the manifest but [input] in the graph');
    expect(error.message).toContain("output 'scores' is not in the graph");
  });

  it('refuses a manifest kept in another model’s folder', async () => {
    await writeFixtureModel(modelsDir, { name: 'moved', onnx: ONNX, inputs: INPUTS, outputs: OUTPUTS, labels: LABELS });
    const manifest = await writeFixtureModel(join(modelsDir, 'tmp'), {
      name: 'other',
      onnx: ONNX,
      inputs: INPUTS,
      outputs: OUTPUTS,
      labels: LABELS,
    });
    await writeFile(join(modelsDir, 'moved', 'manifest.json'), JSON.stringify(manifest));
    expect((await failure('moved')).message).toContain("describes model 'other'");
  });

  it('refuses a classifier whose labels do not match its classes', async () => {
    await writeFixtureModel(modelsDir, { name: 'two-labels', onnx: ONNX, inputs: INPUTS, outputs: OUTPUTS, labels: ['x', 'y'] });
    expect((await failure('two-labels')).message).toContain('3 classes but the manifest names 2 labels');
  });
});
