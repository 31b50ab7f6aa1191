import { describe, expect, it } from 'vitest';
import { ksCritical, ksStatistic, percentile, psi, referenceCdf } from './statistics.js';

const uniform = Array.from({ length: 21 }, (_, i) => i * 5); // 0..100

describe('drift statistics', () => {
  it('reads the reference CDF from its quantiles', () => {
    expect(referenceCdf(uniform, -1)).toBe(0);
    expect(referenceCdf(uniform, 50)).toBeCloseTo(0.5);
    expect(referenceCdf(uniform, 52.5)).toBeCloseTo(0.525);
    expect(referenceCdf(uniform, 100)).toBe(1);
  });

  it('KS is small for a sample like the reference and large for a shifted one', () => {
    const same = Array.from({ length: 100 }, (_, i) => i + 0.5);
    const shifted = same.map((x) => x + 60);
    expect(ksStatistic(same, uniform)).toBeLessThan(0.02);
    expect(ksStatistic(shifted, uniform)).toBeGreaterThan(0.55);
    expect(ksCritical(1.95, 100, 120)).toBeCloseTo(0.264, 2);
  });

  it('PSI is 0 for equal shares and grows with the shift', () => {
    expect(psi([0.5, 0.5], [0.5, 0.5])).toBe(0);
    expect(psi([1 / 3, 1 / 3, 1 / 3], [0.9, 0.05, 0.05])).toBeGreaterThan(0.25);
  });

  it('takes nearest-rank percentiles', () => {
    expect(percentile([], 50)).toBeUndefined();
    expect(percentile([5, 1, 4, 2, 3], 50)).toBe(3);
    expect(percentile(Array.from({ length: 100 }, (_, i) => i + 1), 95)).toBe(95);
  });
});
