import type { Rng } from './seeded-rng.js';

export interface SplitIndices {
  train: number[];
  test: number[];
}

/**
 * Splits row indices so each class keeps its share in both parts. The test size is exactly
 * round(n * testFraction): per-class quotas are floored and the remainder goes to the classes
 * with the largest fractional parts (ties to the lower class), so the totals never drift.
 * Both index lists come back in a seeded random order.
 */
export function stratifiedSplit(targets: readonly number[], testFraction: number, rng: Rng): SplitIndices {
  if (!(testFraction > 0 && testFraction < 1)) {
    throw new RangeError(`testFraction must be in (0, 1), got ${testFraction}`);
  }
  const byClass = new Map<number, number[]>();
  targets.forEach((target, index) => {
    const rows = byClass.get(target) ?? [];
    rows.push(index);
    byClass.set(target, rows);
  });
  const classes = [...byClass.keys()].sort((a, b) => a - b);

  const wanted = Math.round(targets.length * testFraction);
  const quotas = classes.map((c) => {
    const exact = (byClass.get(c)?.length ?? 0) * testFraction;
    return { c, quota: Math.floor(exact), remainder: exact - Math.floor(exact) };
  });
  let missing = wanted - quotas.reduce((sum, q) => sum + q.quota, 0);
  for (const q of [...quotas].sort((a, b) => b.remainder - a.remainder || a.c - b.c)) {
    if (missing <= 0) break;
    q.quota += 1;
    missing -= 1;
  }

  const train: number[] = [];
  const test: number[] = [];
  for (const { c, quota } of quotas) {
    const rows = rng.shuffle([...(byClass.get(c) ?? [])]);
    test.push(...rows.slice(0, quota));
    train.push(...rows.slice(quota));
  }
  return { train: rng.shuffle(train), test: rng.shuffle(test) };
}
