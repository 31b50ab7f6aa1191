import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ErrorCode, MODEL_NAMES, MspError, type InferRequest, type InferTensor } from '@msp/contracts';
import { loadModel } from './model.loader.js';
import type { ModelRunner } from './model.runner.js';
import { writeArgmaxClassifier } from './testing/onnx-fixture.js';

/** The trainer's output at the repository root (git-ignored; `pnpm train` makes it). */
const TRAINED_MODELS = fileURLToPath(new URL('../../../models', import.meta.url));

async function rejection(promise: Promise<unknown>): Promise<MspError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(MspError);
  return error as MspError;
}

function rowsRequest(rows: number[][], outputs?: string[]): InferRequest {
  return {
    inputs: [{ name: 'input', datatype: 'FP32', shape: [rows.length, rows[0]!.length], data: rows.flat() }],
    ...(outputs ? { outputs: outputs.map((name) => ({ name })) } : {}),
  };
}

/** Splits a batch answer into one answer per row, to compare with single-row answers. */
function row(outputs: InferTensor[], index: number): InferTensor[] {
  return outputs.map((output) => {
    const width = output.shape.slice(1).reduce((count, dim) => count * dim, 1);
    return {
      ...output,
      shape: [1, ...output.shape.slice(1)],
      data: output.data.slice(index * width, (index + 1) * width) as InferTensor['data'],
    };
  });
}

/**
 * A fixture classifier that needs no trained model: class = the largest of the first three
 * features (the fourth is ignored), so every expected answer is known by construction.
 */
describe('ModelRunner (fixture classifier)', () => {
  let modelsDir: string;
  let runner: ModelRunner;

  beforeAll(async () => {
    modelsDir = await mkdtemp(join(tmpdir(), 'msp-runner-'));
    await writeArgmaxClassifier(modelsDir, { name: 'argmax', version: '7' });
    ({ runner } = await loadModel({ modelsDir, name: 'argmax', maxBatchRows: 16 }));
  });

  afterAll(async () => {
    await runner?.release();
    await rm(modelsDir, { recursive: true, force: true });
  });

  const ROWS = [
    [1, 0, 0, 9],
    [0, 1, 0, 9],
    [0, 0, 1, 9],
    [0.2, 0.9, 0.1, 0],
    [3, 2, 1, 0],
    [-1, -2, -0.5, 0],
  ];
  const EXPECTED = ['first', 'second', 'third', 'second', 'first', 'third'];

  it('labels every row of a batch by the arg-max of its probabilities', async () => {
    const [probabilities, label] = await runner.infer(rowsRequest(ROWS));
    expect(probabilities).toMatchObject({ name: 'probabilities', datatype: 'FP32', shape: [6, 3] });
    expect(label).toEqual({ name: 'label', datatype: 'BYTES', shape: [6], data: EXPECTED });
    const sums = ROWS.map((_, i) => (probabilities!.data as number[]).slice(i * 3, i * 3 + 3).reduce((a, b) => a + b));
    for (const sum of sums) expect(sum).toBeCloseTo(1, 5);
  });

  it('answers each row of a batch exactly as it answers that row alone', async () => {
    const batch = await runner.infer(rowsRequest(ROWS));
    for (const [i, sample] of ROWS.entries()) {
      const single = await runner.infer(rowsRequest([sample]));
      expect(row(batch, i)).toEqual(single);
    }
  });

  it('honours the outputs filter, in the order asked', async () => {
    const onlyLabel = await runner.infer(rowsRequest(ROWS.slice(0, 2), ['label']));
    expect(onlyLabel.map((output) => output.name)).toEqual(['label']);
    expect(onlyLabel[0]!.data).toEqual(['first', 'second']);
    const both = await runner.infer(rowsRequest(ROWS.slice(0, 1), ['label', 'probabilities']));
    expect(both.map((output) => output.name)).toEqual(['label', 'probabilities']);
  });

  it.each([
    ['a wrong shape', { name: 'input', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }, /input 'input': shape \[1,3\] does not match the model's \[-1,4\]/],
    ['a wrong datatype', { name: 'input', datatype: 'FP64', shape: [1, 4], data: [1, 2, 3, 4] }, /input 'input': datatype FP64 does not match the model's FP32/],
    ['an unknown input', { name: 'pixels', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }, /model 'argmax' has no input 'pixels'/],
  ] as const)('rejects %s with a 400 naming the input', async (_, input, message) => {
    const error = await rejection(runner.infer({ inputs: [{ ...input, shape: [...input.shape], data: [...input.data] }] }));
    expect(error.code).toBe(ErrorCode.BadRequest);
    expect(error.message).toMatch(message);
  });

  it('rejects an unknown output with a 400 naming it', async () => {
    const error = await rejection(runner.infer(rowsRequest([ROWS[0]!], ['logits'])));
    expect(error.code).toBe(ErrorCode.BadRequest);
    expect(error.message).toContain("model 'argmax' has no output 'logits' (it has 'probabilities', 'label')");
  });

  it('rejects a batch over the limit with a 400 that states the limit', async () => {
    const rows = Array.from({ length: 17 }, () => [1, 0, 0, 0]);
    const error = await rejection(runner.infer(rowsRequest(rows)));
    expect(error.code).toBe(ErrorCode.BadRequest);
    expect(error.message).toBe("input 'input' has 17 rows; this predictor takes at most 16 rows per request");
    await expect(runner.infer(rowsRequest(rows.slice(1)))).resolves.toHaveLength(2);
  });

  it('rejects an empty batch', async () => {
    const error = await rejection(runner.infer({ inputs: [{ name: 'input', datatype: 'FP32', shape: [0, 4], data: [] }] }));
    expect(error.code).toBe(ErrorCode.BadRequest);
    expect(error.message).toContain('has no rows');
  });
});

const IRIS_MLP = join(TRAINED_MODELS, 'iris-mlp');
const irisReady = existsSync(join(IRIS_MLP, 'manifest.json'));
const irisTitle = irisReady
  ? 'ModelRunner (trained iris-mlp)'
  : `ModelRunner (trained iris-mlp) — SKIPPED: ${IRIS_MLP} not found; run \`pnpm train\` first`;

describe.skipIf(!irisReady)(irisTitle, () => {
  let runner: ModelRunner;
  beforeAll(async () => {
    ({ runner } = await loadModel({ modelsDir: TRAINED_MODELS, name: 'iris-mlp', maxBatchRows: 1024 }));
  });
  afterAll(async () => {
    await runner?.release();
  });

  // Classic rows of the iris data set (sepal length, sepal width, petal length, petal width; cm).
  const SAMPLES: [number[], string][] = [
    [[5.1, 3.5, 1.4, 0.2], 'setosa'],
    [[4.9, 3.0, 1.4, 0.2], 'setosa'],
    [[7.0, 3.2, 4.7, 1.4], 'versicolor'],
    [[5.7, 2.8, 4.1, 1.3], 'versicolor'],
    [[6.7, 3.0, 5.2, 2.3], 'virginica'],
    [[6.3, 3.3, 6.0, 2.5], 'virginica'],
  ];

  it('advertises the label output beside the manifest outputs', () => {
    expect(runner.metadata.platform).toBe('onnxruntime');
    expect(runner.metadata.inputs).toEqual([{ name: 'input', datatype: 'FP32', shape: [-1, 4] }]);
    expect(runner.metadata.outputs.map((spec) => spec.name)).toEqual(['probabilities', 'label']);
    expect(runner.predictorModel.labels).toEqual(['setosa', 'versicolor', 'virginica']);
  });

  it('labels typical rows of each species correctly', async () => {
    const outputs = await runner.infer(rowsRequest(SAMPLES.map(([features]) => features), ['label']));
    expect(outputs[0]!.data).toEqual(SAMPLES.map(([, species]) => species));
  });

  it('answers each row of a batch exactly as it answers that row alone', async () => {
    const rows = SAMPLES.map(([features]) => features);
    const batch = await runner.infer(rowsRequest(rows));
    for (const [i, features] of rows.entries()) {
      expect(row(batch, i)).toEqual(await runner.infer(rowsRequest([features])));
    }
  });
});

/** Every trained model that is present: a batch answers each row as that row alone does. */
const TRAINED = MODEL_NAMES.filter((name) => existsSync(join(TRAINED_MODELS, name, 'manifest.json')));
const MISSING = MODEL_NAMES.filter((name) => !TRAINED.includes(name));

describe('trained models: batch rows equal single rows', () => {
  if (MISSING.length > 0) it.skip(`${MISSING.join(', ')}: not trained yet (pnpm train)`, () => undefined);

  it.each(TRAINED)('%s', async (name) => {
    const { runner } = await loadModel({ modelsDir: TRAINED_MODELS, name, maxBatchRows: 64 });
    try {
      const [spec] = runner.metadata.inputs;
      const rowShape = spec!.shape.slice(1);
      const width = rowShape.reduce((count, dim) => count * dim, 1);
      let seed = 12345;
      const random = (): number => {
        seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
        return seed / 2 ** 31;
      };
      // Iris-like features in cm for the tabular models, ink in [0,1] for the image models.
      const scale = width === 4 ? [7, 4, 6, 2.5] : [1];
      const rows = Array.from({ length: 5 }, () => Array.from({ length: width }, (_, i) => random() * scale[i % scale.length]!));
      const request = (batch: number[][]): InferRequest => ({
        inputs: [{ name: spec!.name, datatype: 'FP32', shape: [batch.length, ...rowShape], data: batch.flat() }],
      });
      const batch = await runner.infer(request(rows));
      for (const [i, features] of rows.entries()) {
        const single = await runner.infer(request([features]));
        const fromBatch = row(batch, i);
        for (const [k, output] of single.entries()) {
          expect(fromBatch[k]!.shape).toEqual(output.shape);
          if (output.datatype === 'BYTES') expect(fromBatch[k]!.data).toEqual(output.data);
          else (output.data as number[]).forEach((value, j) => expect((fromBatch[k]!.data as number[])[j]).toBeCloseTo(value, 6));
        }
      }
      const labels = batch.find((output) => output.name === 'label')!.data as string[];
      for (const label of labels) expect(runner.manifest.labels).toContain(label);
    } finally {
      await runner.release();
    }
  });
});

describe.skipIf(!TRAINED.includes('mnist-cnn'))('dynamic batching (trained mnist-cnn)', () => {
  it('answers concurrent requests from shared runs as each would be answered alone', async () => {
    const batches: number[] = [];
    const { runner } = await loadModel({ modelsDir: TRAINED_MODELS, name: 'mnist-cnn', maxBatchRows: 64, dynamicBatchRows: 16, onBatch: (batch) => batches.push(batch.requests) });
    const { runner: alone } = await loadModel({ modelsDir: TRAINED_MODELS, name: 'mnist-cnn', maxBatchRows: 64 });
    batches.length = 0; // the warm-up's
    try {
      const image = (seed: number): InferRequest => ({
        inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 28, 28], data: Array.from({ length: 784 }, (_, i) => ((i * seed) % 97) / 97) }],
      });
      const answers = await Promise.all(Array.from({ length: 12 }, (_, seed) => runner.infer(image(seed + 1))));
      expect(batches[0]).toBe(1); // the first found the model idle and ran at once
      expect(Math.max(...batches)).toBeGreaterThan(1);
      expect(batches.reduce((sum, size) => sum + size, 0)).toBe(12);
      for (const [seed, answer] of answers.entries()) {
        const expected = await alone.infer(image(seed + 1));
        for (const [k, output] of expected.entries()) {
          expect(answer[k]!.shape).toEqual(output.shape);
          if (output.datatype === 'BYTES') expect(answer[k]!.data).toEqual(output.data);
          else (output.data as number[]).forEach((value, j) => expect((answer[k]!.data as number[])[j]).toBeCloseTo(value, 6));
        }
      }
    } finally {
      await runner.release();
      await alone.release();
    }
  });
});
