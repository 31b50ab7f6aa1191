import { hash } from 'node:crypto';
import { canonicalInputs, imageRowStatistics, imageSide, type ExperimentTag, type InferRequest, type PredictionPattern, type PredictionRecord } from '@msp/contracts';

/** One prediction as the serving code knows it; turned into a PredictionRecord off the request's path. */
export interface PredictionEntry {
  requestId: string;
  pattern: PredictionPattern;
  model: string;
  version?: string | undefined;
  /** The OIP inputs as received. */
  inputs: unknown;
  /** The OIP outputs answered; absent when it failed. */
  outputs?: unknown;
  /** 200, or the error's status code. */
  status: number;
  error?: string | undefined;
  /** Milliseconds: `total` and per hop where known. */
  latencyMs: Record<string, number>;
  /** The trace the prediction ran in (taken from the active span when the entry is recorded). */
  traceId?: string | undefined;
  /** Epoch ms when it ended. */
  ts: number;
  /** The experiment (and side of it) the prediction belongs to. */
  experiment?: ExperimentTag | undefined;
  /** The graph this prediction was a model step of. */
  graph?: string | undefined;
}

/** A binary tensor's data (Float32Array, Int32Array, …). */
function isTypedArray(value: unknown): value is ArrayLike<number> {
  return ArrayBuffer.isView(value) && !(value instanceof DataView);
}

/** Typed arrays as plain arrays, so a tensor's JSON (and hash) does not depend on how it was held. */
function plain(_key: string, value: unknown): unknown {
  return isTypedArray(value) ? Array.from(value) : value;
}

/** The numbers of a tensor's data, flat: typed arrays as they are, nested arrays flattened. */
function numbersOf(data: unknown): ArrayLike<number> | undefined {
  if (isTypedArray(data)) return data;
  if (!Array.isArray(data)) return undefined;
  // The usual data is flat already: `flat(Infinity)` copies it (~65 µs for a 784-float image).
  const flat = allNumbers(data) ? data : (data.flat(Infinity as 1) as unknown[]);
  return flat === data || allNumbers(flat) ? (flat as number[]) : undefined;
}

function allNumbers(values: readonly unknown[]): boolean {
  for (let i = 0; i < values.length; i++) if (typeof values[i] !== 'number') return false;
  return true;
}

/** Each image's [ink, centre_x, centre_y] when the first input tensor holds square images. */
function imageStatisticsOf(inputs: unknown): number[][] | undefined {
  const tensor = Array.isArray(inputs) ? (inputs[0] as { shape?: unknown; data?: unknown } | undefined) : undefined;
  if (!tensor || !Array.isArray(tensor.shape) || !tensor.shape.every((d) => typeof d === 'number')) return undefined;
  const side = imageSide(tensor.shape as number[]);
  if (side === undefined) return undefined;
  const data = numbersOf(tensor.data);
  return data ? imageRowStatistics(data, side) : undefined;
}

/**
 * Whether `value` (plain objects and arrays all the way down) holds no typed array, so
 * `JSON.stringify` without the `plain` replacer gives the same text: a replacer function is
 * called for every element and costs ~3× the whole stringify of a 784-float image.
 */
function isPlainJson(value: unknown): boolean {
  if (typeof value !== 'object' || value === null) return true;
  if (Array.isArray(value)) {
    for (const item of value) if (typeof item === 'object' && item !== null && !isPlainJson(item)) return false;
    return true;
  }
  const prototype = Object.getPrototypeOf(value) as unknown;
  if (prototype !== Object.prototype && prototype !== null) return false; // typed arrays, toJSON, …: the replacer decides
  for (const key in value) {
    if (key === 'toJSON' || !isPlainJson((value as Record<string, unknown>)[key])) return false;
  }
  return true;
}

/** `JSON.stringify(value, plain)`, without the replacer when it would change nothing. */
function jsonOf(value: unknown): string {
  return isPlainJson(value) ? JSON.stringify(value) : JSON.stringify(value, plain);
}

/** A record without its tensors, and the tensors' JSON when they fit the size cap (each stringified once). */
interface Described {
  meta: PredictionRecord;
  inputJson: string | undefined;
  outputJson: string | undefined;
}

/**
 * True when the JSON of these tensors is surely longer than `max` bytes, found without building
 * it: their numbers' text alone (and a separator each) is counted, and counting stops once past
 * `max` — a 784-float image is ~14 KB of JSON, and stringifying it only to hash it cost ~60 µs a
 * record. False means "stringify it" (other data, or small enough that it might fit).
 */
function jsonSurelyOver(inputs: unknown, max: number): boolean {
  if (!Array.isArray(inputs)) return false;
  const datas: ArrayLike<unknown>[] = [];
  let count = 0;
  for (const tensor of inputs as { data?: unknown }[]) {
    const data = tensor?.data;
    if (!(Array.isArray(data) || (isTypedArray(data) && !(data instanceof BigInt64Array || data instanceof BigUint64Array)))) return false;
    datas.push(data as ArrayLike<unknown>);
    count += (data as ArrayLike<unknown>).length;
  }
  // A number is at most 24 characters of JSON: few enough numbers might fit, so none is counted.
  if (count * 25 <= max) return false;
  let length = 0;
  for (const numbers of datas) {
    for (let i = 0; i < numbers.length; i++) {
      const value = numbers[i];
      if (typeof value !== 'number') return false;
      length += (Number.isFinite(value) ? String(value).length : 4) + 1; // JSON writes null for NaN and ±Infinity
      if (length > max) return true;
    }
  }
  return false;
}

/** SHA-256 and size of the tensors' canonical binary form; undefined when data does not fit its shape (a rejected request). */
function tensorsDigest(inputs: unknown): { sha256: string; bytes: number } | undefined {
  try {
    const bytes = canonicalInputs(inputs as InferRequest['inputs']);
    return { sha256: hash('sha256', bytes, 'hex'), bytes: bytes.byteLength };
  } catch {
    return undefined;
  }
}

function describe(entry: PredictionEntry, maxDataBytes: number): Described {
  const tensors = jsonSurelyOver(entry.inputs, maxDataBytes) ? tensorsDigest(entry.inputs) : undefined;
  let input: PredictionRecord['input'];
  let inputJson: string | undefined;
  if (tensors) {
    input = { sha256: tensors.sha256, bytes: tensors.bytes, hashed: 'tensors', truncated: true };
  } else {
    const json = jsonOf(entry.inputs ?? null);
    const bytes = Buffer.byteLength(json);
    // One-shot hash: a third of createHash's cost for a small input (no Hash object per record).
    input = { sha256: hash('sha256', json, 'hex'), bytes, truncated: bytes > maxDataBytes };
    if (bytes <= maxDataBytes && entry.inputs !== undefined) inputJson = json;
  }
  const meta: PredictionRecord = {
    request_id: entry.requestId,
    pattern: entry.pattern,
    model: entry.model,
    ts: entry.ts,
    input,
    status: entry.status,
    latency_ms: entry.latencyMs,
  };
  const image = imageStatisticsOf(entry.inputs);
  if (image) meta.input.image = image;
  if (entry.traceId !== undefined) meta.trace_id = entry.traceId;
  if (entry.version !== undefined) meta.version = entry.version;
  if (entry.error !== undefined) meta.error = entry.error;
  if (entry.experiment !== undefined) meta.experiment = entry.experiment;
  if (entry.graph !== undefined) meta.graph = entry.graph;
  let outputJson: string | undefined;
  if (entry.outputs !== undefined) {
    outputJson = jsonOf(entry.outputs);
    if (Buffer.byteLength(outputJson) > maxDataBytes) outputJson = undefined;
  }
  return { meta, inputJson, outputJson };
}

/**
 * The record published for an entry: the inputs' SHA-256 always, the inputs and outputs
 * themselves only up to `maxDataBytes` of JSON each (big images would swamp the log).
 */
export function toRecord(entry: PredictionEntry, maxDataBytes: number): PredictionRecord {
  const { meta, inputJson, outputJson } = describe(entry, maxDataBytes);
  if (inputJson !== undefined) meta.input.data = entry.inputs;
  if (outputJson !== undefined) meta.output = entry.outputs;
  return meta;
}

/** The record's JSON as published (typed arrays as arrays). */
export function encodeRecord(record: PredictionRecord): string {
  return jsonOf(record);
}

/**
 * `encodeRecord(toRecord(entry))` with the tensors stringified once: the hash and the size cap
 * need the inputs' JSON anyway, so it is spliced into the record's text instead of being
 * stringified again with it (a 784-float image costs tens of µs each time).
 */
export function encodePrediction(entry: PredictionEntry, maxDataBytes: number): string {
  const { meta, inputJson, outputJson } = describe(entry, maxDataBytes);
  const { input, ...rest } = meta; // plain JSON: numbers, strings, arrays of numbers
  const inputText = inputJson === undefined ? JSON.stringify(input) : `${JSON.stringify(input).slice(0, -1)},"data":${inputJson}}`;
  const outputText = outputJson === undefined ? '' : `,"output":${outputJson}`;
  return `${JSON.stringify(rest).slice(0, -1)},"input":${inputText}${outputText}}`;
}
