import { MspError, type InferRequest, type InferResponse, type ModelMetadata } from '@msp/contracts';

/**
 * The seeds' sample API over OIP: `{"data": [[…], …]}` (one row per instance) becomes an OIP
 * request for the model's first input, and OIP outputs become `{"prediction": …}`. Multi-row
 * requests are scored row by row (the samples only ever answered row 1); one row answers flat,
 * as the samples do.
 */
export function toInferRequest(body: unknown, metadata: ModelMetadata): InferRequest {
  const data = typeof body === 'object' && body !== null ? (body as { data?: unknown }).data : undefined;
  if (!Array.isArray(data) || data.length === 0) throw MspError.badRequest('send {"data": [[feature, …], …]}: one array of numbers per instance');
  const input = metadata.inputs[0];
  if (!input) throw MspError.badRequest(`model '${metadata.name}' advertises no input`);
  const rows = data.map((row: unknown, i) => {
    const flat = Array.isArray(row) ? (row as unknown[]).flat(Infinity) : [row];
    if (!flat.every((x) => typeof x === 'number' && Number.isFinite(x))) throw MspError.badRequest(`data[${i}] must hold finite numbers only`);
    return flat as number[];
  });
  const rowShape = input.shape.slice(1).map((dim) => (dim < 0 ? rows[0]!.length : dim));
  const width = rowShape.reduce((a, b) => a * b, 1);
  const bad = rows.findIndex((row) => row.length !== width);
  if (bad >= 0) throw MspError.badRequest(`data[${bad}] has ${rows[bad]!.length} values; model '${metadata.name}' takes ${width} per instance (shape [${rowShape.join(', ')}])`);
  return { inputs: [{ name: input.name, datatype: input.datatype, shape: [rows.length, ...rowShape], data: rows.flat() }] };
}

function output(response: InferResponse, name: string): { shape: number[]; data: unknown[] } | undefined {
  const tensor = response.outputs.find((candidate) => candidate.name === name);
  return tensor ? { shape: tensor.shape, data: Array.from(tensor.data as ArrayLike<unknown>) } : undefined;
}

/** `prediction`: the scores (`probabilities`, else the first output) per row; one row → its list. */
export function toPrediction(response: InferResponse): unknown {
  const scores = output(response, 'probabilities') ?? (response.outputs[0] ? output(response, response.outputs[0].name) : undefined);
  if (!scores) throw MspError.internal('the model answered no outputs');
  const rows = scores.shape[0] ?? 1;
  const width = scores.data.length / Math.max(1, rows);
  const perRow = Array.from({ length: rows }, (_, r) => scores.data.slice(r * width, (r + 1) * width));
  return rows === 1 ? perRow[0] : perRow;
}

/** `prediction`: the label per row (the model's `label` output); one row → the label itself. */
export function toLabel(response: InferResponse): unknown {
  const labels = output(response, 'label');
  if (!labels) throw MspError.badRequest(`model '${response.model_name}' answers no label; use /predict`);
  return labels.data.length === 1 ? labels.data[0] : labels.data;
}
