import type { Trial } from '@msp/contracts';
import { createRng } from '@msp/datasets';
import { accuracy } from '../evaluate/classification.metrics.js';
import type { Params, ParamValue, Tunable } from '../models/model-trainer.js';

/** Folds of the cross-validation: 5 × 24 rows of iris's 120 training rows. */
export const DEFAULT_FOLDS = 5;

export interface CrossValidation {
  rows: readonly number[][];
  targets: readonly number[];
  classes: number;
  folds: number;
  seed: number;
}

/** Every combination of the grid's values, in a fixed order (the first key varies slowest). */
export function expandGrid(grid: Readonly<Record<string, readonly ParamValue[]>>): Params[] {
  return Object.entries(grid).reduce<Params[]>(
    (combinations, [key, values]) => combinations.flatMap((params) => values.map((value) => ({ ...params, [key]: value }))),
    [{}],
  );
}

/**
 * k-fold cross-validated accuracy on the training rows only (the held-out split stays unseen):
 * rows are dealt into k folds in a seeded random order; each fold is scored by a model fitted
 * on the others. Pooled over all rows, so every row counts once.
 */
export function crossValidatedAccuracy(tunable: Tunable, params: Params, cv: CrossValidation): number {
  const order = createRng(cv.seed).shuffle(cv.rows.map((_, index) => index));
  let correct = 0;
  for (let fold = 0; fold < cv.folds; fold += 1) {
    const test = order.filter((_, position) => position % cv.folds === fold);
    const train = order.filter((_, position) => position % cv.folds !== fold);
    const probabilities = tunable.fitPredict(
      params,
      { rows: train.map((i) => cv.rows[i]!), targets: train.map((i) => cv.targets[i]!) },
      test.map((i) => cv.rows[i]!),
      cv.seed + fold,
    );
    correct += accuracy(probabilities, cv.classes, test.map((i) => cv.targets[i]!)) * test.length;
  }
  return correct / cv.rows.length;
}

export interface SearchResult {
  best: Params;
  bestScore: number;
  /** Every configuration tried with its cross-validated accuracy, in grid order. */
  trials: Trial[];
}

/** Grid search: the configuration with the best cross-validated accuracy (the first on a tie). */
export function gridSearch(tunable: Tunable, cv: CrossValidation, onTrial: (trial: Trial, index: number, total: number) => void = () => undefined): SearchResult {
  const combinations = expandGrid(tunable.grid);
  const trials: Trial[] = [];
  let best: { params: Params; score: number } | undefined;
  combinations.forEach((params, index) => {
    const score = crossValidatedAccuracy(tunable, params, cv);
    const trial = { params: { ...params }, score };
    trials.push(trial);
    onTrial(trial, index, combinations.length);
    if (!best || score > best.score) best = { params, score };
  });
  if (!best) throw new Error('the search grid is empty');
  return { best: best.params, bestScore: best.score, trials };
}
