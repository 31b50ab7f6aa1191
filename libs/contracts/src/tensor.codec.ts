import type { Datatype } from './datatypes.js';
import { DATATYPES } from './datatypes.js';
import { MspError } from './errors.js';
import { float16Bits, float16Value } from './float16.js';
import type { InferRequest, InferResponse, InferTensor, TensorData } from './oip.schema.js';

/**
 * The binary encoding of OIP requests and responses between services
 * (`Content-Type: application/x-msp-tensor`): JSON costs ~50 µs per 784-float image and
 * triples its size; this carries tensors as raw little-endian bytes and images as bytes.
 *
 * Layout (all integers little-endian):
 *
 *   0   "MSPT"                      magic
 *   4   u8 version (1), 3 × 0       reserved
 *   8   u32 header length H
 *   12  header: UTF-8 JSON, H bytes — { kind, id?, parameters?, outputs?, model_name?,
 *       model_version?, tensors: [{ name, datatype, shape, parameters?, bytes }] }
 *       then zero padding to a multiple of 8
 *   …   each tensor's `bytes` bytes, in header order, each padded to a multiple of 8
 *
 * Elements: BOOL as one byte 0/1; integers and floats at their width (FP16 as IEEE half);
 * BYTES as, per element, a u32 length and that many bytes. `kind` tells a request (tensors =
 * inputs) from a response (tensors = outputs). Pure TypeScript, no dependencies.
 */

export const TENSOR_CODEC_VERSION = 1;
const MAGIC = [0x4d, 0x53, 0x50, 0x54] as const;
const PREFIX_BYTES = 12;
const ALIGN = 8;

/**
 * Numbers in the typed array onnxruntime takes for their datatype (FP16 as its bits in a
 * Uint16Array, 64-bit integers as BigInt arrays): what a binary body decodes to with
 * `numbersAs: 'typed'`, so a tensor reaches the model without a copy into number[] and back.
 */
export type TypedTensorData =
  | Float32Array
  | Float64Array
  | Int8Array
  | Int16Array
  | Int32Array
  | Uint8Array
  | Uint16Array
  | Uint32Array
  | BigInt64Array
  | BigUint64Array;

/** Tensor data as it travels: BYTES elements may be raw bytes instead of strings, numbers a typed array. */
export type WireTensorData = TensorData | Uint8Array[] | TypedTensorData;
export interface WireTensor extends Omit<InferTensor, 'data'> {
  data: WireTensorData;
}
export interface WireInferRequest extends Omit<InferRequest, 'inputs'> {
  inputs: WireTensor[];
}
export interface WireInferResponse extends Omit<InferResponse, 'outputs'> {
  outputs: WireTensor[];
}

export interface TensorEncodeOptions {
  /** How a BYTES element given as a string becomes bytes: its UTF-8 (default) or its base64 decoded. */
  stringBytes?: 'utf8' | 'base64';
}

export interface TensorDecodeOptions {
  /** BYTES elements as raw `Uint8Array`s, or as strings: UTF-8 (default) or base64. */
  bytesAs?: 'raw' | 'utf8' | 'base64';
  /** Numeric tensors (not BOOL) as `number[]` (default) or as their `TypedTensorData`. */
  numbersAs?: 'array' | 'typed';
}

export type DecodedTensorMessage =
  | { kind: 'request'; request: WireInferRequest }
  | { kind: 'response'; response: WireInferResponse };

interface HeaderTensor {
  name: string;
  datatype: Datatype;
  shape: number[];
  parameters?: Record<string, unknown>;
  bytes: number;
}

interface Header {
  kind: 'request' | 'response';
  id?: string;
  parameters?: Record<string, unknown>;
  outputs?: { name: string; parameters?: Record<string, unknown> }[];
  model_name?: string;
  model_version?: string;
  tensors: HeaderTensor[];
}

const WIDTH: Record<Exclude<Datatype, 'BYTES'>, number> = {
  BOOL: 1,
  UINT8: 1,
  INT8: 1,
  UINT16: 2,
  INT16: 2,
  FP16: 2,
  UINT32: 4,
  INT32: 4,
  FP32: 4,
  UINT64: 8,
  INT64: 8,
  FP64: 8,
};

type TypedArrayClass = new (buffer: ArrayBuffer) => TypedTensorData;

/** The typed array of each numeric datatype, as onnxruntime takes it (FP16: its bits). */
const TYPED_ARRAY: Record<Exclude<Datatype, 'BYTES' | 'BOOL'>, TypedArrayClass> = {
  UINT8: Uint8Array,
  INT8: Int8Array,
  UINT16: Uint16Array,
  INT16: Int16Array,
  FP16: Uint16Array,
  UINT32: Uint32Array,
  INT32: Int32Array,
  FP32: Float32Array,
  UINT64: BigUint64Array,
  INT64: BigInt64Array,
  FP64: Float64Array,
};

/** The wire is little-endian; typed arrays use the host's order, so they are used only when the two agree. */
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

export function encodeInferRequest(request: InferRequest | WireInferRequest, options?: TensorEncodeOptions): Uint8Array {
  const { inputs, ...rest } = request;
  return encodeMessage({ kind: 'request', ...rest }, inputs, options);
}

export function encodeInferResponse(response: InferResponse | WireInferResponse, options?: TensorEncodeOptions): Uint8Array {
  const { outputs, ...rest } = response;
  return encodeMessage({ kind: 'response', ...rest }, outputs, options);
}

/** A request (has `inputs`) or a response (has `outputs`), whichever the value is. */
export function encodeTensorMessage(
  message: InferRequest | WireInferRequest | InferResponse | WireInferResponse,
  options?: TensorEncodeOptions,
): Uint8Array {
  return 'inputs' in message ? encodeInferRequest(message, options) : encodeInferResponse(message, options);
}

export function decodeInferRequest(bytes: Uint8Array, options: { bytesAs: 'raw' }): WireInferRequest;
export function decodeInferRequest(bytes: Uint8Array, options?: { bytesAs?: 'utf8' | 'base64' }): InferRequest;
export function decodeInferRequest(bytes: Uint8Array, options?: TensorDecodeOptions): WireInferRequest {
  const message = decodeTensorMessage(bytes, options);
  if (message.kind !== 'request') throw invalid('expected an inference request, got a response');
  return message.request;
}

export function decodeInferResponse(bytes: Uint8Array, options: { bytesAs: 'raw' }): WireInferResponse;
export function decodeInferResponse(bytes: Uint8Array, options?: { bytesAs?: 'utf8' | 'base64' }): InferResponse;
export function decodeInferResponse(bytes: Uint8Array, options?: TensorDecodeOptions): WireInferResponse {
  const message = decodeTensorMessage(bytes, options);
  if (message.kind !== 'response') throw invalid('expected an inference response, got a request');
  return message.response;
}

/** Decodes either kind. Anything malformed is an MspError 400 naming what is wrong, never a crash. */
export function decodeTensorMessage(bytes: Uint8Array, options?: TensorDecodeOptions): DecodedTensorMessage {
  if (bytes.length < PREFIX_BYTES || MAGIC.some((byte, i) => bytes[i] !== byte)) {
    throw invalid('not an application/x-msp-tensor message (bad magic)');
  }
  if (bytes[4] !== TENSOR_CODEC_VERSION) throw invalid(`unsupported version ${bytes[4]}`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(8, true);
  if (PREFIX_BYTES + headerLength > bytes.length) throw invalid('header is longer than the message');
  let parsed: unknown;
  try {
    parsed = JSON.parse(decoder.decode(bytes.subarray(PREFIX_BYTES, PREFIX_BYTES + headerLength)));
  } catch {
    throw invalid('header is not valid JSON');
  }
  const header = checkHeader(parsed);
  let offset = padded(PREFIX_BYTES + headerLength);
  const tensors = header.tensors.map((spec, index): WireTensor => {
    if (offset + spec.bytes > bytes.length) throw invalid(`tensor ${index} ('${spec.name}') runs past the end`);
    const view = new DataView(bytes.buffer, bytes.byteOffset + offset, spec.bytes);
    const data = readData(spec, view, options?.bytesAs ?? 'utf8', options?.numbersAs ?? 'array');
    offset = padded(offset + spec.bytes);
    return {
      name: spec.name,
      datatype: spec.datatype,
      shape: spec.shape,
      ...(spec.parameters === undefined ? {} : { parameters: spec.parameters }),
      data,
    };
  });
  if (offset < bytes.length) throw invalid(`${bytes.length - offset} bytes after the last tensor`);
  const { kind, tensors: _tensors, ...rest } = header;
  if (kind === 'request') {
    const { model_name: _m, model_version: _v, ...request } = rest;
    return { kind, request: { ...request, inputs: tensors } };
  }
  const { outputs: _o, model_name, ...response } = rest;
  return { kind, response: { model_name: model_name ?? '', ...response, outputs: tensors } };
}

function encodeMessage(
  fields: Omit<Header, 'tensors'>,
  tensors: readonly (InferTensor | WireTensor)[],
  options: TensorEncodeOptions | undefined,
): Uint8Array {
  const bodies = tensors.map((tensor) => encodeData(tensor, options?.stringBytes ?? 'utf8'));
  const header: Header = {
    ...fields,
    tensors: tensors.map((tensor, i) => ({
      name: tensor.name,
      datatype: tensor.datatype,
      shape: tensor.shape,
      ...(tensor.parameters === undefined ? {} : { parameters: tensor.parameters }),
      bytes: (bodies[i] as Uint8Array).length,
    })),
  };
  const headerBytes = encoder.encode(JSON.stringify(header));
  let total = padded(PREFIX_BYTES + headerBytes.length);
  for (const body of bodies) total += padded(body.length);
  const out = new Uint8Array(total);
  out.set(MAGIC, 0);
  out[4] = TENSOR_CODEC_VERSION;
  new DataView(out.buffer).setUint32(8, headerBytes.length, true);
  out.set(headerBytes, PREFIX_BYTES);
  let offset = padded(PREFIX_BYTES + headerBytes.length);
  for (const body of bodies) {
    out.set(body, offset);
    offset = padded(offset + body.length);
  }
  return out;
}

function encodeData(tensor: InferTensor | WireTensor, stringBytes: 'utf8' | 'base64'): Uint8Array {
  const data = tensor.data as readonly unknown[];
  const count = tensor.shape.reduce((n, dim) => n * dim, 1);
  if (data.length !== count) {
    throw MspError.badRequest(`tensor '${tensor.name}': shape [${tensor.shape.join(',')}] needs ${count} values, data has ${data.length}`);
  }
  if (tensor.datatype === 'BYTES') {
    const elements = data.map((element, i) => {
      if (element instanceof Uint8Array) return element;
      if (typeof element === 'string') return stringBytes === 'base64' ? fromBase64(element) : encoder.encode(element);
      throw MspError.badRequest(`tensor '${tensor.name}': BYTES element ${i} is neither a string nor bytes`);
    });
    const out = new Uint8Array(elements.reduce((n, element) => n + 4 + element.length, 0));
    const view = new DataView(out.buffer);
    let offset = 0;
    for (const element of elements) {
      view.setUint32(offset, element.length, true);
      out.set(element, offset + 4);
      offset += 4 + element.length;
    }
    return out;
  }
  const width = WIDTH[tensor.datatype];
  if (tensor.datatype !== 'BOOL' && LITTLE_ENDIAN && data instanceof TYPED_ARRAY[tensor.datatype]) {
    const typed = data as unknown as TypedTensorData;
    return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
  }
  const out = new Uint8Array(count * width);
  const view = new DataView(out.buffer);
  const write = writer(tensor.datatype, view);
  for (let i = 0; i < count; i++) {
    const value = data[i];
    if (tensor.datatype === 'BOOL' ? typeof value !== 'boolean' : typeof value !== 'number') {
      throw MspError.badRequest(`tensor '${tensor.name}': value at index ${i} is not a valid ${tensor.datatype}`);
    }
    write(i * width, value as number | boolean);
  }
  return out;
}

function writer(datatype: Exclude<Datatype, 'BYTES'>, view: DataView): (offset: number, value: number | boolean) => void {
  switch (datatype) {
    case 'BOOL':
      return (o, v) => view.setUint8(o, v ? 1 : 0);
    case 'UINT8':
      return (o, v) => view.setUint8(o, v as number);
    case 'INT8':
      return (o, v) => view.setInt8(o, v as number);
    case 'UINT16':
      return (o, v) => view.setUint16(o, v as number, true);
    case 'INT16':
      return (o, v) => view.setInt16(o, v as number, true);
    case 'FP16':
      return (o, v) => view.setUint16(o, float16Bits(v as number), true);
    case 'UINT32':
      return (o, v) => view.setUint32(o, v as number, true);
    case 'INT32':
      return (o, v) => view.setInt32(o, v as number, true);
    case 'FP32':
      return (o, v) => view.setFloat32(o, v as number, true);
    case 'UINT64':
      return (o, v) => view.setBigUint64(o, BigInt(Math.trunc(v as number)), true);
    case 'INT64':
      return (o, v) => view.setBigInt64(o, BigInt(Math.trunc(v as number)), true);
    case 'FP64':
      return (o, v) => view.setFloat64(o, v as number, true);
  }
}

function readData(
  spec: HeaderTensor,
  view: DataView,
  bytesAs: 'raw' | 'utf8' | 'base64',
  numbersAs: 'array' | 'typed',
): WireTensorData {
  const count = spec.shape.reduce((n, dim) => n * dim, 1);
  if (spec.datatype === 'BYTES') {
    const elements: Uint8Array[] = [];
    let offset = 0;
    while (offset < view.byteLength) {
      if (offset + 4 > view.byteLength) throw invalid(`tensor '${spec.name}': truncated BYTES length`);
      const length = view.getUint32(offset, true);
      if (offset + 4 + length > view.byteLength) throw invalid(`tensor '${spec.name}': BYTES element runs past its tensor`);
      elements.push(new Uint8Array(view.buffer, view.byteOffset + offset + 4, length));
      offset += 4 + length;
    }
    if (elements.length !== count) {
      throw invalid(`tensor '${spec.name}': shape [${spec.shape.join(',')}] needs ${count} elements, found ${elements.length}`);
    }
    if (bytesAs === 'raw') return elements;
    return elements.map((element) => (bytesAs === 'base64' ? toBase64(element) : decoder.decode(element)));
  }
  const width = WIDTH[spec.datatype];
  if (view.byteLength !== count * width) {
    throw invalid(`tensor '${spec.name}': shape [${spec.shape.join(',')}] needs ${count * width} bytes, has ${view.byteLength}`);
  }
  if (spec.datatype === 'BOOL') {
    const out: boolean[] = new Array<boolean>(count);
    for (let i = 0; i < count; i++) out[i] = view.getUint8(i) !== 0;
    return out;
  }
  if (numbersAs === 'typed' && LITTLE_ENDIAN) {
    // One copy into an aligned buffer (the message's bytes may sit at any offset).
    const copy = new Uint8Array(view.buffer, view.byteOffset, view.byteLength).slice();
    return new TYPED_ARRAY[spec.datatype](copy.buffer);
  }
  const read = reader(spec.datatype, view);
  const out: number[] = new Array<number>(count);
  for (let i = 0; i < count; i++) out[i] = read(i * width);
  return out;
}

function reader(datatype: Exclude<Datatype, 'BYTES' | 'BOOL'>, view: DataView): (offset: number) => number {
  switch (datatype) {
    case 'UINT8':
      return (o) => view.getUint8(o);
    case 'INT8':
      return (o) => view.getInt8(o);
    case 'UINT16':
      return (o) => view.getUint16(o, true);
    case 'INT16':
      return (o) => view.getInt16(o, true);
    case 'FP16':
      return (o) => float16Value(view.getUint16(o, true));
    case 'UINT32':
      return (o) => view.getUint32(o, true);
    case 'INT32':
      return (o) => view.getInt32(o, true);
    case 'FP32':
      return (o) => view.getFloat32(o, true);
    case 'UINT64':
      return (o) => Number(view.getBigUint64(o, true));
    case 'INT64':
      return (o) => Number(view.getBigInt64(o, true));
    case 'FP64':
      return (o) => view.getFloat64(o, true);
  }
}

const DATATYPE_SET = new Set<string>(DATATYPES);

function checkHeader(value: unknown): Header {
  if (!isRecord(value)) throw invalid('header is not an object');
  if (value['kind'] !== 'request' && value['kind'] !== 'response') throw invalid('header.kind must be request or response');
  for (const key of ['id', 'model_name', 'model_version'] as const) {
    if (value[key] !== undefined && typeof value[key] !== 'string') throw invalid(`header.${key} must be a string`);
  }
  if (value['parameters'] !== undefined && !isRecord(value['parameters'])) throw invalid('header.parameters must be an object');
  const outputs = value['outputs'];
  if (
    outputs !== undefined &&
    !(Array.isArray(outputs) && outputs.every((o) => isRecord(o) && typeof o['name'] === 'string'))
  ) {
    throw invalid('header.outputs must be a list of {name}');
  }
  const tensors = value['tensors'];
  if (!Array.isArray(tensors)) throw invalid('header.tensors must be a list');
  tensors.forEach((tensor: unknown, i) => {
    const ok =
      isRecord(tensor) &&
      typeof tensor['name'] === 'string' &&
      typeof tensor['datatype'] === 'string' &&
      DATATYPE_SET.has(tensor['datatype']) &&
      Array.isArray(tensor['shape']) &&
      tensor['shape'].length <= 8 &&
      tensor['shape'].every((dim) => Number.isSafeInteger(dim) && (dim as number) >= 0) &&
      Number.isSafeInteger(tensor['bytes']) &&
      (tensor['bytes'] as number) >= 0 &&
      (tensor['parameters'] === undefined || isRecord(tensor['parameters']));
    if (!ok) throw invalid(`header.tensors[${i}] is not {name, datatype, shape, bytes}`);
  });
  return value as unknown as Header;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function invalid(message: string): MspError {
  return MspError.badRequest(`invalid binary tensor message: ${message}`);
}

function padded(length: number): number {
  return Math.ceil(length / ALIGN) * ALIGN;
}

function toBase64(bytes: Uint8Array): string {
  let binary = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function fromBase64(text: string): Uint8Array {
  let binary: string;
  try {
    binary = atob(text.replace(/[\s]/g, ''));
  } catch {
    throw MspError.badRequest('a BYTES element is not valid base64');
  }
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}
