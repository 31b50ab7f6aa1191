import { createHash } from 'node:crypto';
import { encodeInferRequest, type WireInferRequest } from './tensor.codec.js';
import type { InferRequest } from './oip.schema.js';

/**
 * The key of one prediction in the prediction cache: `<model>@<version>:<sha256>`. The hash
 * covers the input tensors in a canonical form — sorted by name, data flat, numbers as their
 * datatype's bytes (the binary tensor encoding) — plus the requested outputs and the request
 * parameters, so nested or flat `data` and JSON or binary bodies give one key, while the
 * request id does not count. The version is in the key: a new model version never serves an
 * older one's answers. The gateway (its in-process tier) and the cache service share it.
 */
export function predictionKey(model: string, version: string, request: InferRequest | WireInferRequest): string {
  const hash = createHash('sha256');
  hash.update(canonicalInputs(request.inputs));
  hash.update(canonicalJson({ outputs: request.outputs?.map((output) => output.name).sort() ?? [], parameters: request.parameters ?? {} }));
  return `${model}@${version}:${hash.digest('hex')}`;
}

/**
 * Input tensors in one form whatever the body was: sorted by name, data flat, numbers as their
 * datatype's bytes (the binary tensor encoding). The prediction cache's keys and the prediction
 * log's hash of large inputs are of these bytes. Throws (400) for data that does not fit its shape.
 */
export function canonicalInputs(inputs: InferRequest['inputs'] | WireInferRequest['inputs']): Uint8Array {
  const sorted = [...inputs]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map(({ name, datatype, shape, data }) => ({ name, datatype, shape, data }));
  return encodeInferRequest({ inputs: sorted } as WireInferRequest);
}

/** What a key from `predictionKey` looks like (the cache service accepts no other); a graph's version names its models' (`1+iris-mlp@1`). */
export const PREDICTION_KEY = /^[A-Za-z0-9][A-Za-z0-9_-]*@[A-Za-z0-9._+,@-]+:[0-9a-f]{64}$/;

/** JSON with object keys sorted, so `{a,b}` and `{b,a}` hash alike. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonicalJson(item)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
