import { z } from 'zod';
import { DatatypeSchema, TensorSpecSchema, type Datatype } from './datatypes.js';

/**
 * Open Inference Protocol v2 (the REST/JSON protocol of KServe, Triton, Seldon, MLServer).
 * Schemas check the structure; `tensor.validation.ts` checks data against shape and datatype.
 */
const ParametersSchema = z.record(z.string(), z.unknown());

export const InferInputSchema = z.object({
  name: z.string().min(1),
  shape: z.array(z.number().int().nonnegative()).max(8),
  datatype: DatatypeSchema,
  parameters: ParametersSchema.optional(),
  /** Flat (row-major) or nested to the tensor's shape. */
  data: z.array(z.unknown()),
});

export const RequestedOutputSchema = z.object({
  name: z.string().min(1),
  parameters: ParametersSchema.optional(),
});

export const InferRequestSchema = z.object({
  id: z.string().max(256).optional(),
  parameters: ParametersSchema.optional(),
  /** Omitted or empty only when `parameters.item_id` names the input (data-cache pattern). */
  inputs: z.array(InferInputSchema).default([]),
  outputs: z.array(RequestedOutputSchema).optional(),
});

/** Flat tensor data: numbers for numeric types, booleans for BOOL, strings for BYTES. */
export type TensorData = number[] | boolean[] | string[];

export interface InferTensor {
  name: string;
  shape: number[];
  datatype: Datatype;
  parameters?: Record<string, unknown>;
  data: TensorData;
}

/** A request after validation: every input's data is flat and matches its shape. */
export interface InferRequest {
  id?: string;
  parameters?: Record<string, unknown>;
  inputs: InferTensor[];
  outputs?: { name: string; parameters?: Record<string, unknown> }[];
}

export interface InferResponse {
  model_name: string;
  model_version?: string;
  id?: string;
  parameters?: Record<string, unknown>;
  outputs: InferTensor[];
}

export const ModelMetadataSchema = z.object({
  name: z.string(),
  versions: z.array(z.string()),
  platform: z.string(),
  inputs: z.array(TensorSpecSchema),
  outputs: z.array(TensorSpecSchema),
  parameters: ParametersSchema.optional(),
});
export type ModelMetadata = z.infer<typeof ModelMetadataSchema>;

export interface ServerMetadata {
  name: string;
  version: string;
  extensions: string[];
}
