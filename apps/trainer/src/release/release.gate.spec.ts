import { describe, expect, it } from 'vitest';
import { judgeRelease } from './release.gate.js';

describe('judgeRelease', () => {
  const base = { threshold: 0.9, heldOutRows: 30 };

  it('passes a first model above the threshold and says so', () => {
    expect(judgeRelease({ ...base, accuracy: 0.95 })).toEqual({
      pass: true,
      reason: 'accuracy 0.9500 ≥ gate 0.9 on 30 held-out rows (nothing serving yet)',
    });
  });

  it('refuses a model below the threshold', () => {
    expect(judgeRelease({ ...base, accuracy: 0.3333 })).toEqual({
      pass: false,
      reason: 'accuracy 0.3333 on 30 held-out rows is below the gate 0.9',
    });
  });

  it('refuses a model worse than the serving version on the same rows, even above the threshold', () => {
    expect(judgeRelease({ ...base, accuracy: 0.9333, serving: { version: '2', accuracy: 0.9667 } })).toEqual({
      pass: false,
      reason: "accuracy 0.9333 is worse than serving v2's 0.9667 on the same 30 held-out rows",
    });
  });

  it('lets an equal model replace the serving one', () => {
    expect(judgeRelease({ ...base, accuracy: 0.9667, serving: { version: '1', accuracy: 0.9667 } })).toMatchObject({ pass: true });
  });

  it('checks the threshold against cross-validated accuracy when there is one', () => {
    const crossValidated = { accuracy: 0.9583, folds: 5, rows: 120 };
    expect(judgeRelease({ ...base, accuracy: 0.8667, crossValidated })).toEqual({
      pass: true,
      reason: 'cross-validated accuracy 0.9583 (5-fold on 120 training rows) ≥ gate 0.9; held-out accuracy 0.8667 on 30 held-out rows (nothing serving yet)',
    });
    expect(judgeRelease({ ...base, accuracy: 0.95, crossValidated: { ...crossValidated, accuracy: 0.35 } })).toEqual({
      pass: false,
      reason: 'cross-validated accuracy 0.3500 (5-fold on 120 training rows) is below the gate 0.9',
    });
    // Not worse than serving is still judged on the same held-out rows.
    expect(judgeRelease({ ...base, accuracy: 0.9, crossValidated, serving: { version: '1', accuracy: 0.9667 } }).pass).toBe(false);
  });

  it('refuses an export that does not reproduce the trained model before anything else', () => {
    expect(judgeRelease({ ...base, accuracy: 1, parityProblem: 'max |Δp| 3e-2 > 1e-4' })).toEqual({
      pass: false,
      reason: 'export refused: max |Δp| 3e-2 > 1e-4',
    });
  });
});
