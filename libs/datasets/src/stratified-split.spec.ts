import { describe, expect, it } from 'vitest';
import { createRng } from './seeded-rng.js';
import { stratifiedSplit } from './stratified-split.js';

describe('stratifiedSplit', () => {
  const targets = [...Array(10).fill(0), ...Array(7).fill(1), ...Array(3).fill(2)] as number[];

  it('holds out exactly round(n × fraction), every class proportionally, disjointly', () => {
    const { train, test } = stratifiedSplit(targets, 0.3, createRng(1));
    expect(test).toHaveLength(6);
    expect(train).toHaveLength(14);
    expect(new Set([...train, ...test]).size).toBe(targets.length);
    const count = (rows: number[], c: number): number => rows.filter((i) => targets[i] === c).length;
    // Quotas 3, 2.1, 0.9 → 3, 2 and 1 (the largest remainder gets the spare row).
    expect([0, 1, 2].map((c) => count(test, c))).toEqual([3, 2, 1]);
  });

  it('is deterministic per seed', () => {
    expect(stratifiedSplit(targets, 0.3, createRng(5))).toEqual(stratifiedSplit(targets, 0.3, createRng(5)));
    expect(stratifiedSplit(targets, 0.3, createRng(5)).test).not.toEqual(stratifiedSplit(targets, 0.3, createRng(6)).test);
  });

  it('rejects a fraction outside (0, 1)', () => {
    expect(() => stratifiedSplit(targets, 1, createRng(1))).toThrow(RangeError);
  });
});
