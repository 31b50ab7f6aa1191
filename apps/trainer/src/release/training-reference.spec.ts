import { describe, expect, it } from 'vitest';
import { buildTrainingReference } from './training-reference.js';

describe('buildTrainingReference', () => {
  it('summarises each feature by 21 quantiles and each class by its share', () => {
    const rows = Array.from({ length: 101 }, (_, i) => [i, 100 - i]);
    const targets = rows.map((_, i) => (i < 26 ? 0 : 1));
    const reference = buildTrainingReference(rows, targets, ['up', 'down'], 3);
    expect(reference.samples).toBe(101);
    expect(reference.features[0]).toEqual({ name: 'up', quantiles: Array.from({ length: 21 }, (_, i) => i * 5) });
    expect(reference.features[1]?.quantiles[0]).toBe(0);
    expect(reference.features[1]?.quantiles[20]).toBe(100);
    expect(reference.classes).toEqual([0.257426, 0.742574, 0]);
  });
});
