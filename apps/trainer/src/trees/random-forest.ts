import type { Rng } from '@msp/datasets';
import type { CartTreeNode } from 'ml-cart';
import { DecisionTreeClassifier } from 'ml-cart';

export interface RandomForestOptions {
  trees: number;
  /** Features each tree may split on, drawn without replacement per tree. */
  featuresPerTree: number;
  maxDepth?: number;
  /** A node with this many samples or fewer becomes a leaf (ml-cart's minNumSamples). */
  minNumSamples?: number;
  /** Train each tree on a bootstrap sample (default) or on all rows. */
  bootstrap?: boolean;
  rng: Rng;
}

/** One CART tree and the original feature index of each of its columns. */
export interface ForestTree {
  features: readonly number[];
  root: CartTreeNode;
}

export interface RandomForest {
  trees: readonly ForestTree[];
  classes: number;
  features: number;
}

/**
 * Bagged ml-cart trees, each on a bootstrap sample and a random feature subset. We do the
 * sampling ourselves (seeded) rather than with ml-random-forest, whose sampling is not.
 * Features are rounded to float32 first, as served: a threshold such as
 * (5.7 + 5.9) / 2 = 5.800000000000001 splits 5.8 from itself in float64 but not in float32,
 * so a forest trained on doubles disagrees with its ONNX export on such rows.
 */
export function trainRandomForest(
  rows: readonly (readonly number[])[],
  targets: readonly number[],
  classes: number,
  options: RandomForestOptions,
): RandomForest {
  const { rng } = options;
  const width = rows[0]?.length ?? 0;
  if (options.featuresPerTree < 1 || options.featuresPerTree > width) {
    throw new RangeError(`featuresPerTree must be in [1, ${width}]`);
  }
  const trees: ForestTree[] = [];
  for (let t = 0; t < options.trees; t++) {
    const features = rng
      .shuffle([...Array(width).keys()])
      .slice(0, options.featuresPerTree)
      .sort((a, b) => a - b);
    const sampleX: number[][] = [];
    const sampleY: number[] = [];
    for (let n = 0; n < rows.length; n++) {
      const i = options.bootstrap === false ? n : rng.int(rows.length);
      const row = rows[i] as readonly number[];
      sampleX.push(features.map((f) => Math.fround(row[f] as number)));
      sampleY.push(targets[i] as number);
    }
    const tree = new DecisionTreeClassifier({
      ...(options.maxDepth !== undefined ? { maxDepth: options.maxDepth } : {}),
      ...(options.minNumSamples !== undefined ? { minNumSamples: options.minNumSamples } : {}),
    });
    tree.train(sampleX, sampleY);
    trees.push({ features, root: tree.root });
  }
  return { trees, classes, features: width };
}

/** The class distribution of the leaf a row falls into, padded to `classes`. */
export function leafDistribution(tree: ForestTree, row: readonly number[], classes: number): number[] {
  let node = tree.root;
  // ml-cart goes left when the value is strictly less than the threshold.
  while (node.left && node.right) {
    const feature = tree.features[node.splitColumn ?? -1];
    if (feature === undefined || node.splitValue === undefined) throw new Error('malformed ml-cart node');
    node = Math.fround(row[feature] as number) < node.splitValue ? node.left : node.right;
  }
  if (!node.distribution) throw new Error('ml-cart leaf without a distribution');
  const seen = node.distribution.getRow(0);
  return Array.from({ length: classes }, (_, c) => seen[c] ?? 0);
}

/** Mean of the trees' leaf distributions, flat [rows, classes]. */
export function forestProbabilities(forest: RandomForest, rows: readonly (readonly number[])[]): Float32Array {
  const { classes } = forest;
  const out = new Float32Array(rows.length * classes);
  rows.forEach((row, r) => {
    const sum = new Array<number>(classes).fill(0);
    for (const tree of forest.trees) {
      leafDistribution(tree, row, classes).forEach((p, c) => (sum[c] = (sum[c] as number) + p));
    }
    sum.forEach((s, c) => (out[r * classes + c] = s / forest.trees.length));
  });
  return out;
}
