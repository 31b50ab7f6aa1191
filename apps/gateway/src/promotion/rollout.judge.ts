import type { AbReport, AbVariantFigures, ArmFigures } from '@msp/contracts';
import type { RolloutBounds } from '../experiments/experiment.schema.js';

/** pass: within bounds with enough samples; fail: out of bounds (with enough samples); wait: too few samples yet. */
export interface Verdict {
  verdict: 'pass' | 'fail' | 'wait';
  reasons: string[];
  control: ArmFigures;
  candidate: ArmFigures;
}

const round = (value: number): number => Math.round(value * 1e4) / 1e4;

/** A variant's live figures (what clients got from it), or its mirrored ones (a shadow step: the candidate only watched). */
export function armOf(variant: AbVariantFigures | undefined, side: 'live' | 'mirrored'): ArmFigures {
  if (side === 'mirrored') {
    const mirrored = variant?.mirrored;
    const requests = mirrored?.requests ?? 0;
    const errors = mirrored?.errors ?? 0;
    return { requests, errors, error_rate: requests > 0 ? round(errors / requests) : 0, ...(mirrored?.latency_ms.p99 === undefined ? {} : { p99_ms: mirrored.latency_ms.p99 }), outcomes: 0 };
  }
  const errors = variant?.errors ?? 0;
  const requests = (variant?.exposures ?? 0) + errors;
  const outcomes = variant?.outcomes.samples ?? 0;
  return {
    requests,
    errors,
    error_rate: requests > 0 ? round(errors / requests) : 0,
    ...(variant?.latency_ms.p99 === undefined ? {} : { p99_ms: variant.latency_ms.p99 }),
    outcomes,
    ...(variant?.outcomes.accuracy === undefined ? {} : { accuracy: variant.outcomes.accuracy }),
  };
}

/**
 * Judges a step from the experiment's report over the step's window: the control's live
 * figures against the candidate's (mirrored in a shadow step, live in a canary step). Too few
 * requests on either side → wait; else each bound broken is a reason to fail: error rate above
 * the control's by more than `error_rate`, p99 above ratio × the control's + slack, and, where
 * both sides have `min_outcomes` ground truths, accuracy below the control's by more than `accuracy_drop`.
 */
export function judge(report: AbReport, control: string, candidate: string, stage: 'shadow' | 'canary', bounds: RolloutBounds, minSamples: number): Verdict {
  const find = (name: string) => report.variants.find((variant) => variant.name === name);
  const ours = armOf(find(control), 'live');
  const theirs = armOf(find(candidate), stage === 'shadow' ? 'mirrored' : 'live');
  const result = (verdict: Verdict['verdict'], reasons: string[]): Verdict => ({ verdict, reasons, control: ours, candidate: theirs });
  if (ours.requests < minSamples || theirs.requests < minSamples) {
    return result('wait', [`${theirs.requests} candidate and ${ours.requests} control requests so far; ${minSamples} each are needed`]);
  }
  const reasons: string[] = [];
  if (theirs.error_rate > ours.error_rate + bounds.error_rate) {
    reasons.push(`error rate ${theirs.error_rate} > control's ${ours.error_rate} + ${bounds.error_rate}`);
  }
  if (theirs.p99_ms !== undefined && ours.p99_ms !== undefined) {
    const limit = round(ours.p99_ms * bounds.latency_p99_ratio + bounds.latency_p99_slack_ms);
    if (theirs.p99_ms > limit) reasons.push(`p99 ${theirs.p99_ms} ms > ${limit} ms (control's ${ours.p99_ms} ms × ${bounds.latency_p99_ratio} + ${bounds.latency_p99_slack_ms})`);
  } else if (theirs.p99_ms === undefined && theirs.requests > 0) {
    reasons.push('no candidate request was answered');
  }
  if (ours.accuracy !== undefined && theirs.accuracy !== undefined && ours.outcomes >= bounds.min_outcomes && theirs.outcomes >= bounds.min_outcomes) {
    if (theirs.accuracy < ours.accuracy - bounds.accuracy_drop) {
      reasons.push(`accuracy ${theirs.accuracy} < control's ${ours.accuracy} − ${bounds.accuracy_drop} (${theirs.outcomes} and ${ours.outcomes} outcomes)`);
    }
  }
  return reasons.length > 0 ? result('fail', reasons) : result('pass', []);
}
