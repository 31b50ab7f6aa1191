import type { AbReport, AbVariantFigures } from '@msp/contracts';
import { describe, expect, it } from 'vitest';
import { RolloutSchema } from '../experiments/experiment.schema.js';
import { judge } from './rollout.judge.js';

const { bounds } = RolloutSchema.parse({ id: 'r', experiment: 'ab' }); // error_rate 0.01, p99 × 1.5 + 20 ms, accuracy −0.05 over 30 outcomes

function variant(name: string, figures: Partial<AbVariantFigures> = {}): AbVariantFigures {
  return { name, exposures: 200, errors: 0, statuses: {}, latency_ms: { p50: 5, p99: 40 }, outcomes: { samples: 0, correct: 0 }, ...figures };
}
const report = (...variants: AbVariantFigures[]): AbReport => ({ id: 'ab', variants, window: 20_000 });
const outcomes = (samples: number, correct: number) => ({ samples, correct, accuracy: correct / samples });
/** A canary step where the two sides differ only in the ground truth posted for them. */
const byAccuracy = (control: AbVariantFigures['outcomes'], candidate: AbVariantFigures['outcomes']) =>
  judge(report(variant('a', { outcomes: control }), variant('b', { outcomes: candidate })), 'a', 'b', 'canary', bounds, 100);

describe('judge', () => {
  it('waits until both sides have min_samples requests', () => {
    const verdict = judge(report(variant('a'), variant('b', { exposures: 99 })), 'a', 'b', 'canary', bounds, 100);
    expect(verdict.verdict).toBe('wait');
    expect(verdict.reasons[0]).toMatch(/99 candidate and 200 control requests/);
  });

  it('passes a candidate within every bound, and records both sides', () => {
    const verdict = judge(report(variant('a'), variant('b', { exposures: 198, errors: 2, latency_ms: { p99: 79 } })), 'a', 'b', 'canary', bounds, 100);
    expect(verdict).toEqual({
      verdict: 'pass',
      reasons: [],
      control: { requests: 200, errors: 0, error_rate: 0, p99_ms: 40, outcomes: 0 },
      candidate: { requests: 200, errors: 2, error_rate: 0.01, p99_ms: 79, outcomes: 0 },
    });
  });

  it('fails on errors, on p99 and on accuracy, each with its numbers', () => {
    const errors = judge(report(variant('a'), variant('b', { exposures: 190, errors: 10 })), 'a', 'b', 'canary', bounds, 100);
    expect(errors).toMatchObject({ verdict: 'fail', reasons: ["error rate 0.05 > control's 0 + 0.01"] });
    const slow = judge(report(variant('a'), variant('b', { latency_ms: { p99: 80.5 } })), 'a', 'b', 'canary', bounds, 100);
    expect(slow).toMatchObject({ verdict: 'fail', reasons: ["p99 80.5 ms > 80 ms (control's 40 ms × 1.5 + 20)"] });
    expect(byAccuracy(outcomes(40, 38), outcomes(40, 32))).toMatchObject({ verdict: 'fail', reasons: [expect.stringMatching(/^accuracy 0.8 < control's 0.95 − 0.05/)] });
  });

  it('ignores accuracy below min_outcomes', () => {
    expect(byAccuracy(outcomes(29, 29), outcomes(29, 0)).verdict).toBe('pass');
  });

  it('judges the candidate by its mirrored requests in a shadow step', () => {
    const shadow = (mirrored: AbVariantFigures['mirrored']) => judge(report(variant('a'), variant('b', { exposures: 0, mirrored })), 'a', 'b', 'shadow', bounds, 100);
    expect(shadow({ requests: 50, errors: 0, latency_ms: { p99: 41 } }).verdict).toBe('wait');
    expect(shadow({ requests: 150, errors: 0, latency_ms: { p99: 41 } }).verdict).toBe('pass');
    expect(shadow({ requests: 150, errors: 150, latency_ms: {} })).toMatchObject({
      verdict: 'fail',
      reasons: ["error rate 1 > control's 0 + 0.01", 'no candidate request was answered'],
    });
  });
});
