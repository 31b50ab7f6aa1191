import type { PredictionRecord } from '@msp/contracts';

/** What the monitor keeps of one logged prediction. */
export interface Sample {
  ts: number;
  requestId: string;
  status: number;
  latencyMs: number | undefined;
  /**
   * What drift is measured on, one row per input: the `width` feature columns, or each image's
   * statistics for an image model (undefined when the input was not logged whole, or has another shape).
   */
  rows: number[][] | undefined;
  /** The predicted label of each row, when the output was logged. */
  labels: string[] | undefined;
}

interface TensorLike {
  name?: unknown;
  shape?: unknown;
  data?: unknown;
}

function flatten(data: unknown): unknown[] {
  return Array.isArray(data) ? data.flat(Infinity as 1) : [];
}

/** The input's rows when one tensor is [N, width] of numbers. */
function rowsOf(input: unknown, width: number): number[][] | undefined {
  if (!Array.isArray(input) || width <= 0) return undefined;
  for (const tensor of input as TensorLike[]) {
    const shape = Array.isArray(tensor?.shape) ? (tensor.shape as unknown[]) : [];
    if (shape[shape.length - 1] !== width) continue;
    const values = flatten(tensor.data);
    if (values.length === 0 || values.length % width !== 0 || !values.every((v) => typeof v === 'number')) return undefined;
    const rows: number[][] = [];
    for (let i = 0; i < values.length; i += width) rows.push(values.slice(i, i + width) as number[]);
    return rows;
  }
  return undefined;
}

/** The predicted labels: the `label` output, else the arg-max of `probabilities` over `labels`. */
function labelsOf(output: unknown, labels: readonly string[]): string[] | undefined {
  if (!Array.isArray(output)) return undefined;
  const tensors = output as TensorLike[];
  const label = tensors.find((tensor) => tensor?.name === 'label');
  if (label) return flatten(label.data).map(String);
  const probabilities = tensors.find((tensor) => tensor?.name === 'probabilities');
  if (!probabilities || labels.length === 0) return undefined;
  const values = flatten(probabilities.data) as number[];
  const out: string[] = [];
  for (let i = 0; i + labels.length <= values.length; i += labels.length) {
    let best = 0;
    for (let c = 1; c < labels.length; c++) if ((values[i + c] as number) > (values[i + best] as number)) best = c;
    out.push(labels[best] as string);
  }
  return out;
}

/** What the monitor reads of a record, given the model's training reference (features or image statistics). */
export interface SampleShape {
  input: 'features' | 'image';
  width: number;
  labels: readonly string[];
}

function inputRows(record: PredictionRecord, shape: SampleShape): number[][] | undefined {
  if (shape.input === 'image') return record.input.image;
  return record.input.truncated ? undefined : rowsOf(record.input.data, shape.width);
}

export function toSample(record: PredictionRecord, shape: SampleShape): Sample {
  const { labels } = shape;
  return {
    ts: record.ts,
    requestId: record.request_id,
    status: record.status,
    latencyMs: record.latency_ms['total'],
    rows: inputRows(record, shape),
    labels: labelsOf(record.output, labels),
  };
}
