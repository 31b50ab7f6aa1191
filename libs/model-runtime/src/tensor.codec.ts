import { Tensor } from 'onnxruntime-node';
import { MspError, type Datatype, type InferTensor, type TensorData } from '@msp/contracts';

/** OIP v2 datatype → onnxruntime tensor type. Every OIP datatype has one. */
const ORT_TYPE_OF: Record<Datatype, Tensor.Type> = {
  BOOL: 'bool',
  UINT8: 'uint8',
  UINT16: 'uint16',
  UINT32: 'uint32',
  UINT64: 'uint64',
  INT8: 'int8',
  INT16: 'int16',
  INT32: 'int32',
  INT64: 'int64',
  FP16: 'float16',
  FP32: 'float32',
  FP64: 'float64',
  BYTES: 'string',
};

const DATATYPE_OF: Partial<Record<Tensor.Type, Datatype>> = Object.fromEntries(
  Object.entries(ORT_TYPE_OF).map(([datatype, ortType]) => [ortType, datatype as Datatype]),
);

export function ortTypeOf(datatype: Datatype): Tensor.Type {
  return ORT_TYPE_OF[datatype];
}

/** The OIP datatype of an onnxruntime tensor type; undefined for types OIP cannot carry (int4, uint4). */
export function datatypeOfOrtType(type: Tensor.Type): Datatype | undefined {
  return DATATYPE_OF[type];
}

/** Converts a validated OIP tensor (flat data matching its shape and datatype) to an ORT tensor. */
export function toOrtTensor(tensor: InferTensor): Tensor {
  const dims = tensor.shape;
  const data = tensor.data;
  switch (tensor.datatype) {
    case 'BOOL':
      return new Tensor('bool', Uint8Array.from(data as boolean[], (value) => (value ? 1 : 0)), dims);
    case 'BYTES':
      return new Tensor('string', [...(data as string[])], dims);
    case 'INT64':
      return new Tensor('int64', BigInt64Array.from(data as number[], (value) => BigInt(value)), dims);
    case 'UINT64':
      return new Tensor('uint64', BigUint64Array.from(data as number[], (value) => BigInt(value)), dims);
    case 'FP16':
      return new Tensor('float16', Uint16Array.from(data as number[], float16Bits), dims);
    case 'FP32':
      return new Tensor('float32', Float32Array.from(data as number[]), dims);
    case 'FP64':
      return new Tensor('float64', Float64Array.from(data as number[]), dims);
    case 'INT8':
      return new Tensor('int8', Int8Array.from(data as number[]), dims);
    case 'INT16':
      return new Tensor('int16', Int16Array.from(data as number[]), dims);
    case 'INT32':
      return new Tensor('int32', Int32Array.from(data as number[]), dims);
    case 'UINT8':
      return new Tensor('uint8', Uint8Array.from(data as number[]), dims);
    case 'UINT16':
      return new Tensor('uint16', Uint16Array.from(data as number[]), dims);
    case 'UINT32':
      return new Tensor('uint32', Uint32Array.from(data as number[]), dims);
  }
}

/**
 * Converts an ORT output tensor to an OIP tensor with flat data. 64-bit integers become JS
 * numbers (JSON has no other integer); values beyond 2^53 would lose precision, so they are
 * refused rather than silently rounded.
 */
export function fromOrtTensor(name: string, tensor: Tensor): InferTensor {
  const datatype = datatypeOfOrtType(tensor.type);
  if (!datatype) throw MspError.internal(`output '${name}' has type ${tensor.type}, which OIP cannot carry`);
  return { name, datatype, shape: [...tensor.dims], data: toTensorData(name, tensor) };
}

function toTensorData(name: string, tensor: Tensor): TensorData {
  const data = tensor.data;
  switch (tensor.type) {
    case 'bool':
      return Array.from(data as Uint8Array, (value) => value !== 0);
    case 'string':
      return [...(data as string[])];
    case 'int64':
    case 'uint64':
      return Array.from(data as BigInt64Array | BigUint64Array, (value: bigint) => safeNumber(name, value));
    case 'float16':
      return Array.from(data as Uint16Array, float16Value);
    default:
      return Array.from(data as ArrayLike<number>);
  }
}

function safeNumber(name: string, value: bigint): number {
  const number = Number(value);
  if (!Number.isSafeInteger(number)) {
    throw MspError.internal(`output '${name}' holds ${value}, beyond the integers JSON numbers carry exactly`);
  }
  return number;
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** IEEE 754 binary16 bits of a number, rounded to nearest even (what Float16Array does). */
export function float16Bits(value: number): number {
  f32[0] = value;
  const bits = u32[0]!;
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0); // Inf / NaN
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00; // overflow → Inf
  if (halfExponent <= 0) {
    if (halfExponent < -10) return sign; // underflow → ±0
    mantissa |= 0x800000; // subnormal: make the implicit bit explicit
    const shift = 14 - halfExponent;
    const half = mantissa >>> shift;
    const remainder = mantissa & ((1 << shift) - 1);
    const midpoint = 1 << (shift - 1);
    const round = remainder > midpoint || (remainder === midpoint && (half & 1) === 1) ? 1 : 0;
    return sign | (half + round);
  }
  const half = (halfExponent << 10) | (mantissa >>> 13);
  const remainder = mantissa & 0x1fff;
  const round = remainder > 0x1000 || (remainder === 0x1000 && (half & 1) === 1) ? 1 : 0;
  return sign | (half + round); // a carry into the exponent is still the correct rounding
}

/** The number that IEEE 754 binary16 bits encode. */
export function float16Value(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >>> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 0x1f) return mantissa ? Number.NaN : sign * Number.POSITIVE_INFINITY;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}
