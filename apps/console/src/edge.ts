import * as ort from 'onnxruntime-web/wasm';
import { argmax } from './api.js';

// The WebAssembly runtime comes from the gateway with the page (Vite emits it as an asset), never a CDN.
// Threads need cross-origin isolation, which a plain page does not have; one thread is plenty here.
ort.env.wasm.numThreads = 1;

/** A model the browser runs itself: the same ONNX file the server runs, checked by its SHA-256. */
export interface EdgeModel {
  name: string;
  version: string;
  sha256: string;
  bytes: number;
  session: ort.InferenceSession;
  downloadMs: number;
}

export interface EdgeAnswer {
  label: string;
  confidence: number;
  probabilities: number[];
  ms: number;
}

export class DigestMismatchError extends Error {
  override readonly name = 'DigestMismatchError';
}

const loaded = new Map<string, Promise<EdgeModel>>();

/**
 * Downloads a model's artefact from the gateway (`GET /v1/models/<m>/artefact`), refuses it
 * unless its SHA-256 (SubtleCrypto) is the one the gateway names in `x-msp-sha256`, and makes
 * an onnxruntime-web session of it. Once per model per page.
 */
export function edgeModel(name: string): Promise<EdgeModel> {
  let model = loaded.get(name);
  if (!model) {
    model = load(name);
    model.catch(() => loaded.delete(name));
    loaded.set(name, model);
  }
  return model;
}

async function load(name: string): Promise<EdgeModel> {
  const started = performance.now();
  const response = await fetch(`v1/models/${name}/artefact`);
  if (!response.ok) throw new Error(`artefact of ${name}: ${response.status} ${await response.text()}`);
  const expected = response.headers.get('x-msp-sha256') ?? '';
  const bytes = new Uint8Array(await response.arrayBuffer());
  const actual = hex(await crypto.subtle.digest('SHA-256', bytes));
  if (actual !== expected) throw new DigestMismatchError(`artefact of ${name}: sha256 ${actual}, the gateway says ${expected || '(none)'}; not run`);
  const downloadMs = performance.now() - started;
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'] });
  return { name, version: response.headers.get('x-msp-model-version') ?? '?', sha256: actual, bytes: bytes.byteLength, session, downloadMs };
}

/** One row through the browser's session; `labels` name the classes of `probabilities`. */
export async function runEdge(model: EdgeModel, shape: number[], data: Float32Array, labels: readonly string[]): Promise<EdgeAnswer> {
  const started = performance.now();
  const inputName = model.session.inputNames[0]!;
  const outputs = await model.session.run({ [inputName]: new ort.Tensor('float32', data, shape) });
  const output = outputs['probabilities'] ?? outputs[model.session.outputNames[0]!]!;
  const probabilities = Array.from(output.data as Float32Array);
  const ms = performance.now() - started;
  const best = argmax(probabilities);
  return { label: labels[best] ?? String(best), confidence: probabilities[best] ?? Number.NaN, probabilities, ms };
}

function hex(digest: ArrayBuffer): string {
  return [...new Uint8Array(digest)].map((byte) => byte.toString(16).padStart(2, '0')).join('');
}
