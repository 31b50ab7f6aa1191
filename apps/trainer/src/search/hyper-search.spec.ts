import { describe, expect, it } from 'vitest';
import { irisMlpTrainer } from '../models/iris-mlp.trainer.js';
import type { Tunable } from '../models/model-trainer.js';
import { crossValidatedAccuracy, expandGrid, gridSearch } from './hyper-search.js';

/** Predicts class = the row's first value (mode 'right') or the other one ('wrong'): no training. */
const oracle: Tunable = {
  defaults: { mode: 'right' },
  grid: { mode: ['wrong', 'right'] },
  trainingSet: () => ({ rows: [], targets: [] }),
  fitPredict: (params, _train, rows) =>
    Float32Array.from(rows.flatMap((row) => [0, 1].map((c) => ((params['mode'] === 'right') === (row[0] === c) ? 1 : 0)))),
  trainWith: () => {
    throw new Error('not used');
  },
};
const rows = Array.from({ length: 20 }, (_, i) => [i % 2]);
const cv = { rows, targets: rows.map((row) => row[0]!), classes: 2, folds: 5, seed: 7 };

describe('hyper-parameter search', () => {
  it('expands a grid into every combination', () => {
    expect(expandGrid({ a: [1, 2], b: ['x', 'y', 'z'] })).toEqual([
      { a: 1, b: 'x' }, { a: 1, b: 'y' }, { a: 1, b: 'z' },
      { a: 2, b: 'x' }, { a: 2, b: 'y' }, { a: 2, b: 'z' },
    ]);
  });

  it('cross-validates over every row once', () => {
    expect(crossValidatedAccuracy(oracle, { mode: 'right' }, cv)).toBe(1);
    expect(crossValidatedAccuracy(oracle, { mode: 'wrong' }, cv)).toBe(0);
  });

  it('keeps every trial and picks the best', () => {
    const seen: number[] = [];
    const result = gridSearch(oracle, cv, (_, index) => seen.push(index));
    expect(result).toEqual({
      best: { mode: 'right' },
      bestScore: 1,
      trials: [{ params: { mode: 'wrong' }, score: 0 }, { params: { mode: 'right' }, score: 1 }],
    });
    expect(seen).toEqual([0, 1]);
  });

  it('scores the iris MLP defaults above the gate, reproducibly', () => {
    const tunable = irisMlpTrainer.tunable!;
    const data = tunable.trainingSet({ seed: 42, producerVersion: 'spec', onEpoch: () => undefined });
    const iris = { rows: data.rows, targets: data.targets, classes: 3, folds: 5, seed: 42 };
    const score = crossValidatedAccuracy(tunable, tunable.defaults, iris);
    expect(score).toBeGreaterThanOrEqual(irisMlpTrainer.gate);
    expect(crossValidatedAccuracy(tunable, tunable.defaults, iris)).toBe(score);
  });
});
