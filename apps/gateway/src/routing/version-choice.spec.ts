import { describe, expect, it } from 'vitest';
import { chooseVersion } from './version-choice.js';

describe('chooseVersion', () => {
  it('leaves latest to the queue group', () => {
    expect(chooseVersion({ mode: 'latest' }, ['1', '2'])).toBeUndefined();
  });

  it('pins a live version, and falls back to latest when it has no predictor', () => {
    expect(chooseVersion({ mode: 'pinned', version: '2' }, ['1', '2'])).toBe('2');
    expect(chooseVersion({ mode: 'pinned', version: '3' }, ['1', '2'])).toBeUndefined();
  });

  it('splits by weight among live versions', () => {
    const policy = { mode: 'weighted', weights: { '1': 90, '2': 10 } } as const;
    expect(chooseVersion(policy, ['1', '2'], () => 0)).toBe('1');
    expect(chooseVersion(policy, ['1', '2'], () => 0.899)).toBe('1');
    expect(chooseVersion(policy, ['1', '2'], () => 0.9)).toBe('2');
    expect(chooseVersion(policy, ['1', '2'], () => 0.999)).toBe('2');
    // v2's predictor is gone: everything goes to v1.
    expect(chooseVersion(policy, ['1'], () => 0.95)).toBe('1');
    expect(chooseVersion(policy, ['3'], () => 0.5)).toBeUndefined();
  });

  it('gives each version about its share', () => {
    let seed = 1;
    const random = () => ((seed = (seed * 16807) % 2147483647) / 2147483647);
    const counts: Record<string, number> = {};
    for (let i = 0; i < 10_000; i += 1) {
      const version = chooseVersion({ mode: 'weighted', weights: { '1': 75, '2': 25 } }, ['1', '2'], random)!;
      counts[version] = (counts[version] ?? 0) + 1;
    }
    expect(counts['2']! / 10_000).toBeCloseTo(0.25, 1);
  });
});
