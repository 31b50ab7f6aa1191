import { createHash } from 'node:crypto';
import type { ExperimentTag, PredictionPattern, PredictionRecord } from '@msp/contracts';

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
}

/** Typed arrays as plain arrays, so a tensor's JSON (and hash) does not depend on how it was held. */
function plain(_key: string, value: unknown): unknown {
  return ArrayBuffer.isView(value) && !(value instanceof DataView) ? Array.from(value as unknown as ArrayLike<number>) : value;
}

/**
 * The record published for an entry: the inputs' SHA-256 always, the inputs and outputs
 * themselves only up to `maxDataBytes` of JSON each (big images would swamp the log).
 */
export function toRecord(entry: PredictionEntry, maxDataBytes: number): PredictionRecord {
  const inputJson = JSON.stringify(entry.inputs ?? null, plain);
  const inputBytes = Buffer.byteLength(inputJson);
  const inputFits = inputBytes <= maxDataBytes;
  const record: PredictionRecord = {
    request_id: entry.requestId,
    pattern: entry.pattern,
    model: entry.model,
    ts: entry.ts,
    input: {
      sha256: createHash('sha256').update(inputJson).digest('hex'),
      bytes: inputBytes,
      truncated: !inputFits,
      ...(inputFits ? { data: entry.inputs } : {}),
    },
    status: entry.status,
    latency_ms: entry.latencyMs,
  };
  if (entry.traceId !== undefined) record.trace_id = entry.traceId;
  if (entry.version !== undefined) record.version = entry.version;
  if (entry.error !== undefined) record.error = entry.error;
  if (entry.experiment !== undefined) record.experiment = entry.experiment;
  if (entry.outputs !== undefined) {
    const outputJson = JSON.stringify(entry.outputs, plain);
    if (Buffer.byteLength(outputJson) <= maxDataBytes) record.output = entry.outputs;
  }
  return record;
}

/** The record's JSON as published (typed arrays as arrays). */
export function encodeRecord(record: PredictionRecord): string {
  return JSON.stringify(record, plain);
}
