import type { TrainingReference } from '@msp/contracts';

/** The iris features in input order (DESIGN §6), as the reference and the monitor name them. */
export const IRIS_FEATURES = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'] as const;

/** 0 %, 5 %, … 100 %: enough to draw each feature's distribution for a KS comparison. */
const QUANTILES = Array.from({ length: 21 }, (_, i) => i / 20);

/** The quantile `q` of sorted values, linearly interpolated. */
function quantile(sorted: readonly number[], q: number): number {
  const position = q * (sorted.length - 1);
  const below = Math.floor(position);
  const above = Math.min(sorted.length - 1, below + 1);
  return (sorted[below] as number) + ((sorted[above] as number) - (sorted[below] as number)) * (position - below);
}

/**
 * The training split summarised for prediction monitoring: each feature's quantiles and each
 * class's share, so the monitor compares live traffic without the data set itself.
 */
export function buildTrainingReference(
  rows: readonly (readonly number[])[],
  targets: readonly number[],
  featureNames: readonly string[],
  classCount: number,
): TrainingReference {
  const features = featureNames.map((name, column) => {
    const sorted = rows.map((row) => row[column] as number).sort((a, b) => a - b);
    return { name, quantiles: QUANTILES.map((q) => Math.round(quantile(sorted, q) * 1e6) / 1e6) };
  });
  const counts = new Array<number>(classCount).fill(0);
  for (const target of targets) counts[target] = (counts[target] ?? 0) + 1;
  return { samples: rows.length, features, classes: counts.map((count) => Math.round((count / targets.length) * 1e6) / 1e6) };
}
