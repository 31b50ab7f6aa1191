import type { ExperimentSide, PredictionRecord, ShadowReport, SideFigures } from '@msp/contracts';
import { percentile } from '../monitoring/statistics.js';

interface Tensor {
  name?: unknown;
  shape?: unknown;
  data?: unknown;
}

/**
 * Whether two answers to one request agree: the same `label` per row when both have one;
 * else, for the first output both name, the same top class per row (a [N, C] tensor) or the
 * same numbers within 1e-6 (anything else).
 */
export function answersAgree(primary: unknown, shadow: unknown): boolean {
  const a = tensors(primary);
  const b = tensors(shadow);
  const labelA = a.get('label');
  const labelB = b.get('label');
  if (labelA && labelB) return sameValues(labelA.data, labelB.data);
  for (const [name, tensor] of a) {
    const other = b.get(name);
    if (!other) continue;
    const shape = Array.isArray(tensor.shape) ? (tensor.shape as number[]) : [];
    if (shape.length === 2 && (shape[1] ?? 0) > 1) return sameValues(topClasses(tensor.data, shape[1]!), topClasses(other.data, shape[1]!));
    return sameValues(tensor.data, other.data);
  }
  return false;
}

function tensors(outputs: unknown): Map<string, Tensor> {
  const found = new Map<string, Tensor>();
  if (!Array.isArray(outputs)) return found;
  for (const tensor of outputs as Tensor[]) if (typeof tensor?.name === 'string') found.set(tensor.name, tensor);
  return found;
}

function flat(data: unknown): unknown[] {
  return Array.isArray(data) ? (data as unknown[]).flat(Infinity) : [];
}

function topClasses(data: unknown, classes: number): number[] {
  const values = flat(data) as number[];
  const top: number[] = [];
  for (let row = 0; row + classes <= values.length; row += classes) {
    let best = 0;
    for (let c = 1; c < classes; c++) if ((values[row + c] as number) > (values[row + best] as number)) best = c;
    top.push(best);
  }
  return top;
}

function sameValues(a: unknown, b: unknown): boolean {
  const x = flat(a);
  const y = flat(b);
  if (x.length !== y.length || x.length === 0) return false;
  return x.every((value, i) =>
    typeof value === 'number' && typeof y[i] === 'number' ? Math.abs(value - (y[i] as number)) <= 1e-6 : value === y[i],
  );
}

const round = (value: number): number => Math.round(value * 100) / 100;

function figures(records: readonly PredictionRecord[]): SideFigures {
  const latencies = records.filter((record) => record.status === 200).map((record) => record.latency_ms['total'] ?? 0);
  const statuses: Record<string, number> = {};
  for (const record of records) if (record.status !== 200) statuses[record.status] = (statuses[record.status] ?? 0) + 1;
  const p = (q: number): number | undefined => {
    const value = percentile(latencies, q);
    return value === undefined ? undefined : round(value);
  };
  const models = [...new Set(records.map((record) => record.model))];
  return {
    ...(models.length === 1 ? { model: models[0] } : {}),
    versions: [...new Set(records.flatMap((record) => (record.version === undefined ? [] : [record.version])))].sort(),
    count: records.length,
    errors: records.length - latencies.length,
    statuses,
    latency_ms:
      latencies.length === 0
        ? {}
        : { p50: p(50), p95: p(95), p99: p(99), mean: round(latencies.reduce((sum, value) => sum + value, 0) / latencies.length) },
  };
}

/**
 * A shadow experiment's report from its logged records (both sides share a request id): each
 * side's counts, errors and latency (answered requests only), and the agreement rate over the
 * requests both sides answered.
 */
export function shadowReport(id: string, records: readonly PredictionRecord[], window: number): ShadowReport {
  const bySide: Record<Exclude<ExperimentSide, 'fallback'>, PredictionRecord[]> = { primary: [], shadow: [] };
  for (const record of records) {
    const side = record.experiment?.id === id ? record.experiment.side : undefined;
    if (side === 'primary' || side === 'shadow') bySide[side].push(record);
  }
  const shadows = new Map(bySide.shadow.map((record) => [record.request_id, record]));
  let compared = 0;
  let agreed = 0;
  for (const primary of bySide.primary) {
    const shadow = shadows.get(primary.request_id);
    if (primary.status !== 200 || shadow?.status !== 200) continue;
    compared++;
    if (answersAgree(primary.output, shadow.output)) agreed++;
  }
  return {
    id,
    requests: bySide.primary.length,
    compared,
    ...(compared > 0 ? { agreement: Math.round((agreed / compared) * 1e4) / 1e4 } : {}),
    sides: { primary: figures(bySide.primary), shadow: figures(bySide.shadow) },
    window,
  };
}
