import type { OnnxDataType } from './onnx-proto.schema.js';

/** Plain-object mirror of the ONNX messages we write (see onnx-proto.schema.ts). */

export type OnnxAttributeValue =
  | { kind: 'float'; value: number }
  | { kind: 'int'; value: number }
  | { kind: 'string'; value: string }
  | { kind: 'floats'; value: readonly number[] }
  | { kind: 'ints'; value: readonly number[] }
  | { kind: 'strings'; value: readonly string[] };

export interface OnnxTensor {
  name: string;
  dataType: OnnxDataType;
  dims: readonly number[];
  /** FLOAT data (stored as raw little-endian bytes). */
  floats?: Float32Array;
  /** INT64 data. */
  int64s?: readonly number[];
}

export interface OnnxNode {
  name: string;
  opType: string;
  /** '' (default ONNX) or e.g. 'ai.onnx.ml'. */
  domain: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attributes: Readonly<Record<string, OnnxAttributeValue>>;
}

/** A graph input or output: a tensor with a (possibly symbolic) shape. */
export interface OnnxValueInfo {
  name: string;
  elemType: OnnxDataType;
  /** A number is a fixed size; a string names a free dimension (e.g. the batch). */
  shape: readonly (number | string)[];
}

export interface OnnxGraph {
  name: string;
  nodes: readonly OnnxNode[];
  initializers: readonly OnnxTensor[];
  inputs: readonly OnnxValueInfo[];
  outputs: readonly OnnxValueInfo[];
}

export interface OnnxOpset {
  domain: string;
  version: number;
}

export interface OnnxModel {
  irVersion: number;
  opsets: readonly OnnxOpset[];
  producerName: string;
  producerVersion: string;
  docString?: string;
  graph: OnnxGraph;
}
