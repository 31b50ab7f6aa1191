import type { LoggedPrediction } from '@msp/contracts';
import { describe, expect, it } from 'vitest';
import { abReport, isCorrect } from './ab-report.js';

let n = 0;
function exposure(variant: string, predicted: string, truth?: string, status = 200, side?: 'shadow' | 'fallback'): LoggedPrediction {
  n++;
  return {
    request_id: `r${n}`,
    pattern: 'sync',
    model: 'iris-ab',
    ts: n,
    input: { sha256: 'x', bytes: 1, truncated: false },
    status,
    latency_ms: { total: n % 10 },
    experiment: { id: 'ab', variant, ...(side ? { side } : {}) },
    output: [{ name: 'label', datatype: 'BYTES', shape: [1], data: [predicted] }],
    ...(truth === undefined ? {} : { feedback: { label: truth, ts: n } }),
  };
}

describe('abReport', () => {
  it('counts exposures and outcomes per variant, and tests each against the control', () => {
    const records = [
      ...Array.from({ length: 100 }, () => exposure('a', 'setosa', 'setosa')),
      ...Array.from({ length: 100 }, (_, i) => exposure('b', 'setosa', i < 50 ? 'setosa' : 'virginica')),
      exposure('b', 'setosa'), // exposed, no outcome yet
      exposure('b', 'setosa', 'setosa', 503), // failed: not an exposure
    ];
    const report = abReport('ab', ['a', 'b', 'c'], records, 1000);
    expect(report.variants.map((variant) => [variant.name, variant.exposures, variant.outcomes])).toEqual([
      ['a', 100, { samples: 100, correct: 100, accuracy: 1 }],
      ['b', 101, { samples: 100, correct: 50, accuracy: 0.5 }],
      ['c', 0, { samples: 0, correct: 0 }],
    ]);
    expect(report.variants[0]?.versus_control).toBeUndefined();
    expect(report.variants[1]?.versus_control).toMatchObject({ significant: true });
    expect(report.variants[1]?.versus_control?.z).toBeLessThan(-7);
    expect(report.variants[2]?.versus_control).toBeUndefined();
    expect(report.variants.map((variant) => [variant.errors, variant.statuses])).toEqual([
      [0, {}],
      [1, { 503: 1 }],
      [0, {}],
    ]);
  });

  it('counts requests mirrored to a variant apart from its exposures', () => {
    const records = [
      ...Array.from({ length: 10 }, () => exposure('a', 'setosa')),
      ...Array.from({ length: 8 }, () => exposure('b', 'setosa', undefined, 200, 'shadow')),
      ...Array.from({ length: 2 }, () => exposure('b', 'setosa', undefined, 504, 'shadow')),
    ];
    const [a, b] = abReport('ab', ['a', 'b'], records, 1000).variants;
    expect(a).toMatchObject({ exposures: 10, errors: 0 });
    expect(a?.mirrored).toBeUndefined();
    expect(b).toMatchObject({ exposures: 0, errors: 0, mirrored: { requests: 10, errors: 2 } });
    expect(b?.mirrored?.latency_ms.p99).toEqual(expect.any(Number));
  });

  it("counts a candidate's failure answered by the control's fallback as the candidate's error, and the fallback apart from the control's exposures", () => {
    const records = [
      ...Array.from({ length: 10 }, () => exposure('a', 'setosa', 'setosa')),
      ...Array.from({ length: 5 }, () => exposure('b', 'setosa')),
      ...Array.from({ length: 3 }, () => exposure('b', 'setosa', undefined, 500)), // the candidate's failures...
      ...Array.from({ length: 3 }, () => exposure('a', 'setosa', 'setosa', 200, 'fallback')), // ...answered by the control
    ];
    const [a, b] = abReport('ab', ['a', 'b'], records, 1000).variants;
    expect(a).toMatchObject({ exposures: 10, errors: 0, outcomes: { samples: 10 }, fallbacks: { requests: 3, errors: 0 } });
    expect(b).toMatchObject({ exposures: 5, errors: 3, statuses: { 500: 3 } });
    expect(b?.fallbacks).toBeUndefined();
  });

  it('judges an answer by its labels against the posted truth', () => {
    expect(isCorrect(exposure('a', 'setosa', 'setosa'))).toBe(true);
    expect(isCorrect(exposure('a', 'setosa', 'virginica'))).toBe(false);
    expect(isCorrect(exposure('a', 'setosa'))).toBe(false);
  });
});
