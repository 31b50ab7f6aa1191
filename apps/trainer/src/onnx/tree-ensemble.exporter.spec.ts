import { createRng, loadIrisSplit } from '@msp/datasets';
import { DecisionTreeClassifier } from 'ml-cart';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { maxAbsDiff } from '../evaluate/classification.metrics.js';
import { argmax } from '../nn/softmax.js';
import type { RandomForest } from '../trees/random-forest.js';
import { forestProbabilities, trainRandomForest } from '../trees/random-forest.js';
import { encodeOnnxModel } from './onnx-writer.js';
import { ceilToFloat32, exportTreeEnsemble } from './tree-ensemble.exporter.js';

async function runForest(forest: RandomForest, rows: number[][]): Promise<{ labels: number[]; probabilities: Float32Array }> {
  const bytes = encodeOnnxModel(exportTreeEnsemble(forest, { graphName: 'f', producerVersion: '0' }));
  const session = await ort.InferenceSession.create(bytes);
  const input = new ort.Tensor('float32', Float32Array.from(rows.flat()), [rows.length, forest.features]);
  const out = await session.run({ input });
  await session.release();
  return {
    labels: Array.from(out['label']?.data as BigInt64Array, Number),
    probabilities: out['probabilities']?.data as Float32Array,
  };
}

const iris = loadIrisSplit();
const allRows = [...iris.train.features, ...iris.test.features];

describe('exportTreeEnsemble', () => {
  it('predicts what ml-cart predicts for a single tree on all 150 iris rows', async () => {
    const tree = new DecisionTreeClassifier();
    tree.train(
      iris.train.features.map((row) => row.map(Math.fround)),
      iris.train.targets,
    );
    const forest: RandomForest = { trees: [{ features: [0, 1, 2, 3], root: tree.root }], classes: 3, features: 4 };
    const onnx = await runForest(forest, allRows);
    expect(onnx.labels).toEqual(tree.predict(allRows.map((row) => row.map(Math.fround))));
  });

  it('matches the forest (feature subsets mapped back) in labels and probabilities', async () => {
    const forest = trainRandomForest(iris.train.features, iris.train.targets, 3, {
      trees: 7,
      featuresPerTree: 2,
      rng: createRng(4),
    });
    expect(new Set(forest.trees.map((t) => t.features.join())).size).toBeGreaterThan(1);
    const own = forestProbabilities(forest, allRows);
    const onnx = await runForest(forest, allRows);
    expect(maxAbsDiff(onnx.probabilities, own)).toBeLessThan(1e-6);
    expect(onnx.labels).toEqual(allRows.map((_, r) => argmax(own.subarray(r * 3, r * 3 + 3))));
  });

  it('splits a value lying on a float64 threshold the same way in ONNX (float32) as in JS', async () => {
    // ml-cart's threshold (5.7 + 5.9) / 2 is 5.800000000000001 in float64, which float32
    // rounds onto 5.8 itself; training on float32 features keeps both sides consistent.
    const rows = [[5.5], [5.6], [5.7], [5.9], [6.0], [6.1]];
    const forest = trainRandomForest(rows, [0, 0, 0, 1, 1, 1], 2, {
      trees: 1,
      featuresPerTree: 1,
      bootstrap: false,
      rng: createRng(1),
    });
    const probe = [[5.8], [5.7], [5.9]];
    const onnx = await runForest(forest, probe);
    expect(maxAbsDiff(onnx.probabilities, forestProbabilities(forest, probe))).toBeLessThan(1e-6);
    expect(onnx.labels).toEqual([1, 0, 1]);
  });
});

describe('ceilToFloat32', () => {
  it('returns the smallest float32 not below the value', () => {
    for (const v of [5.800000000000001, -5.800000000000001, 0.1, -0.1, 2.5, 1e-50, 0]) {
      const up = ceilToFloat32(v);
      expect(Math.fround(up)).toBe(up);
      expect(up).toBeGreaterThanOrEqual(v);
      // The next float32 down is below v (or up is v itself).
      const below = new Float32Array([up]);
      const bits = new Uint32Array(below.buffer);
      bits[0] = up > 0 ? (bits[0] as number) - 1 : up < 0 ? (bits[0] as number) + 1 : 0x80000001;
      expect(up === v || (below[0] as number) < v).toBe(true);
    }
  });
});
