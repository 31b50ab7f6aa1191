import type { AbReport, AbVariantFigures, LoggedPrediction } from '@msp/contracts';
import { twoProportionZTest } from '@msp/experiments';
import { percentile } from '../monitoring/statistics.js';

const round = (value: number): number => Math.round(value * 1e4) / 1e4;

/** The labels a logged answer predicted (its `label` output), if any. */
function predictedLabels(output: unknown): unknown[] | undefined {
  if (!Array.isArray(output)) return undefined;
  const label = (output as { name?: unknown; data?: unknown }[]).find((tensor) => tensor?.name === 'label');
  return Array.isArray(label?.data) ? (label.data as unknown[]).flat(Infinity) : undefined;
}

/** Whether an answer matches its ground truth: one label per row, compared as strings. */
export function isCorrect(record: LoggedPrediction): boolean {
  const predicted = predictedLabels(record.output);
  const truth = record.feedback?.label;
  if (!predicted || truth === undefined) return false;
  const expected = Array.isArray(truth) ? truth.map(String) : [String(truth)];
  return predicted.length === expected.length && predicted.every((label, i) => String(label) === expected[i]);
}

const latencyOf = (records: readonly LoggedPrediction[]): { p50?: number; p99?: number } => {
  const latencies = records.map((record) => record.latency_ms['total'] ?? 0);
  const p50 = percentile(latencies, 50);
  const p99 = percentile(latencies, 99);
  return { ...(p50 === undefined ? {} : { p50: round(p50) }), ...(p99 === undefined ? {} : { p99: round(p99) }) };
};

interface Sides {
  live: LoggedPrediction[];
  mirrored: LoggedPrediction[];
  fallbacks: LoggedPrediction[];
}

const sideOf = (record: LoggedPrediction): keyof Sides => (record.experiment?.side === 'shadow' ? 'mirrored' : record.experiment?.side === 'fallback' ? 'fallbacks' : 'live');

/** Requests counted apart from a variant's exposures (mirrored to it, or answered by it for another): how many, how many failed, latency of the answered. */
function apart(records: readonly LoggedPrediction[]): { requests: number; errors: number; latency_ms: { p50?: number; p99?: number } } {
  const answered = records.filter((record) => record.status === 200);
  return { requests: records.length, errors: records.length - answered.length, latency_ms: latencyOf(answered) };
}

/**
 * An online AB experiment's report from its logged records (requests tagged with a variant):
 * per variant, exposures (answered requests), failures by status, latency, the outcomes whose
 * ground truth was posted and their accuracy; each variant after the first tested against it
 * (two-proportion z-test). Requests mirrored to a variant (side `shadow`: a rollout's shadow
 * stage) are counted apart, under `mirrored`, and so are the requests a variant answered after
 * the one assigned to them failed (side `fallback`: a rollout's canary), under `fallbacks`.
 * `variants` gives their order (the first is the control); a variant never exposed still appears.
 */
export function abReport(id: string, variants: readonly string[], records: readonly LoggedPrediction[], window: number): AbReport {
  const byVariant = new Map<string, Sides>(variants.map((name) => [name, { live: [], mirrored: [], fallbacks: [] }]));
  for (const record of records) {
    const variant = record.experiment?.id === id ? record.experiment.variant : undefined;
    if (variant === undefined) continue;
    if (!byVariant.has(variant)) byVariant.set(variant, { live: [], mirrored: [], fallbacks: [] });
    byVariant.get(variant)![sideOf(record)].push(record);
  }
  const figures: AbVariantFigures[] = [...byVariant].map(([name, { live, mirrored, fallbacks }]) => {
    const exposures = live.filter((record) => record.status === 200);
    const statuses: Record<string, number> = {};
    for (const record of live) if (record.status !== 200) statuses[record.status] = (statuses[record.status] ?? 0) + 1;
    const judged = exposures.filter((record) => record.feedback !== undefined);
    const correct = judged.filter(isCorrect).length;
    return {
      name,
      exposures: exposures.length,
      errors: live.length - exposures.length,
      statuses,
      latency_ms: latencyOf(exposures),
      outcomes: { samples: judged.length, correct, ...(judged.length > 0 ? { accuracy: round(correct / judged.length) } : {}) },
      ...(mirrored.length > 0 ? { mirrored: apart(mirrored) } : {}),
      ...(fallbacks.length > 0 ? { fallbacks: apart(fallbacks) } : {}),
    };
  });
  const control = figures[0];
  for (const variant of figures.slice(1)) {
    if (!control) break;
    const test = twoProportionZTest(control.outcomes.correct, control.outcomes.samples, variant.outcomes.correct, variant.outcomes.samples);
    if (test) variant.versus_control = test;
  }
  return { id, variants: figures, window };
}
