import { describe, expect, it } from 'vitest';
import { assignVariant, bucketOf } from './assignment.js';
import { normalCdf, twoProportionZTest } from './statistics.js';

describe('assignVariant', () => {
  const variants = [
    { name: 'a', weight: 70 },
    { name: 'b', weight: 30 },
  ];

  it('is sticky: a key always gets the same variant', () => {
    for (let i = 0; i < 100; i++) expect(assignVariant('exp', `user-${i}`, variants)).toBe(assignVariant('exp', `user-${i}`, variants));
  });

  it('splits keys by weight (within 1 % over 100,000 keys)', () => {
    let b = 0;
    for (let i = 0; i < 100_000; i++) if (assignVariant('exp', `user-${i}`, variants)?.name === 'b') b++;
    expect(b / 100_000).toBeGreaterThan(0.29);
    expect(b / 100_000).toBeLessThan(0.31);
  });

  it('reshuffles keys between experiments', () => {
    let same = 0;
    for (let i = 0; i < 10_000; i++) if (Math.abs(bucketOf('one', `k${i}`) - bucketOf('two', `k${i}`)) < 0.5) same++;
    expect(same / 10_000).toBeGreaterThan(0.7);
    expect(same / 10_000).toBeLessThan(0.8); // independent uniforms: P(|U−V| < 0.5) = 0.75
  });

  it('skips zero weights and has no answer when all are zero', () => {
    expect(assignVariant('exp', 'k', [{ name: 'a', weight: 0 }, { name: 'b', weight: 5 }])?.name).toBe('b');
    expect(assignVariant('exp', 'k', [{ name: 'a', weight: 0 }])).toBeUndefined();
  });
});

describe('twoProportionZTest', () => {
  it('matches a textbook example', () => {
    // 120/1000 vs 150/1000: pooled 0.135, z ≈ 1.963, p ≈ 0.0496.
    const test = twoProportionZTest(120, 1000, 150, 1000)!;
    expect(test.z).toBeCloseTo(1.963, 2);
    expect(test.p_value).toBeCloseTo(0.049, 2);
    expect(test.significant).toBe(true);
  });

  it('finds no difference between equal proportions, and nothing to test without trials or variance', () => {
    expect(twoProportionZTest(50, 100, 50, 100)).toMatchObject({ z: 0, p_value: 1, significant: false });
    expect(twoProportionZTest(0, 0, 5, 10)).toBeUndefined();
    expect(twoProportionZTest(10, 10, 20, 20)).toBeUndefined();
  });

  it('has a normal CDF accurate to 1e-6', () => {
    expect(normalCdf(0)).toBeCloseTo(0.5, 6);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    expect(normalCdf(-1)).toBeCloseTo(0.158655, 6);
  });
});
