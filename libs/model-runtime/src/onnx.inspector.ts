import { InferenceSession } from 'onnxruntime-node';
import type { TensorSpec } from '@msp/contracts';
import { ModelLoadError } from './model-load.error.js';
import { datatypeOfOrtType } from './tensor.codec.js';

/** What an ONNX file says about itself: its tensors as manifest specs, and its default-domain opset. */
export interface OnnxDescription {
  inputs: TensorSpec[];
  outputs: TensorSpec[];
  /** The `ai.onnx` opset the model imports, when the file names one. */
  opset?: number;
}

/**
 * Loads an ONNX file with onnxruntime (so anything it cannot run is refused here) and describes
 * its inputs and outputs: names, OIP datatypes, and shapes with symbolic or unknown axes as -1
 * ("any size", as manifests write the batch axis). A non-tensor input or output, or a tensor
 * type OIP has no datatype for, is an error: a predictor could not serve it.
 */
export async function inspectOnnx(bytes: Uint8Array, source: string): Promise<OnnxDescription> {
  let session: InferenceSession;
  try {
    session = await InferenceSession.create(bytes, { executionProviders: ['cpu'], intraOpNumThreads: 1, interOpNumThreads: 1 });
  } catch (error) {
    throw new ModelLoadError(`${source} cannot be loaded by onnxruntime: ${error instanceof Error ? error.message : String(error)}`, source, {
      cause: error,
    });
  }
  try {
    const describe = (kind: string, names: readonly string[], metadata: readonly InferenceSession.ValueMetadata[]): TensorSpec[] =>
      names.map((name, index) => {
        const meta = metadata[index];
        if (!meta?.isTensor) throw new ModelLoadError(`${source}: ${kind} '${name}' is not a tensor`, source);
        const datatype = datatypeOfOrtType(meta.type);
        if (!datatype) throw new ModelLoadError(`${source}: ${kind} '${name}' has type ${meta.type}, which OIP cannot carry`, source);
        return { name, datatype, shape: meta.shape.map((dim) => (typeof dim === 'number' && dim >= 0 ? dim : -1)) };
      });
    const opset = defaultOpset(bytes);
    return {
      inputs: describe('input', session.inputNames, session.inputMetadata),
      outputs: describe('output', session.outputNames, session.outputMetadata),
      ...(opset !== undefined ? { opset } : {}),
    };
  } finally {
    await session.release().catch(() => undefined);
  }
}

/**
 * The version of the default (`ai.onnx`) domain in ModelProto.opset_import (field 8:
 * OperatorSetIdProto {domain = 1, version = 2}). onnxruntime does not expose it, and reading
 * these two fields needs no protobuf library.
 */
export function defaultOpset(bytes: Uint8Array): number | undefined {
  for (const entry of fields(bytes)) {
    if (entry.field !== 8 || !(entry.value instanceof Uint8Array)) continue;
    let domain = '';
    let version: number | undefined;
    for (const inner of fields(entry.value)) {
      if (inner.field === 1 && inner.value instanceof Uint8Array) domain = new TextDecoder().decode(inner.value);
      if (inner.field === 2 && typeof inner.value === 'number') version = inner.value;
    }
    if ((domain === '' || domain === 'ai.onnx') && version !== undefined) return version;
  }
  return undefined;
}

/** Top-level protobuf fields: varints as numbers, length-delimited as bytes; stops at anything malformed. */
function* fields(bytes: Uint8Array): Generator<{ field: number; value: number | Uint8Array }> {
  let offset = 0;
  const varint = (): number | undefined => {
    let result = 0;
    let scale = 1;
    while (offset < bytes.length) {
      const byte = bytes[offset++]!;
      result += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return result;
      scale *= 128;
    }
    return undefined;
  };
  while (offset < bytes.length) {
    const key = varint();
    if (key === undefined) return;
    const field = Math.floor(key / 8);
    switch (key % 8) {
      case 0: {
        const value = varint();
        if (value === undefined) return;
        yield { field, value };
        break;
      }
      case 1:
        offset += 8;
        break;
      case 2: {
        const length = varint();
        if (length === undefined || offset + length > bytes.length) return;
        yield { field, value: bytes.subarray(offset, offset + length) };
        offset += length;
        break;
      }
      case 5:
        offset += 4;
        break;
      default:
        return;
    }
  }
}
