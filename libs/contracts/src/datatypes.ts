import { z } from 'zod';

/** Tensor datatypes of the Open Inference Protocol v2. */
export const DATATYPES = [
  'BOOL',
  'UINT8',
  'UINT16',
  'UINT32',
  'UINT64',
  'INT8',
  'INT16',
  'INT32',
  'INT64',
  'FP16',
  'FP32',
  'FP64',
  'BYTES',
] as const;

export const DatatypeSchema = z.enum(DATATYPES);
export type Datatype = z.infer<typeof DatatypeSchema>;

/** A declared tensor: -1 in a shape means "any size" (the batch axis, usually). */
export const TensorSpecSchema = z.object({
  name: z.string().min(1),
  datatype: DatatypeSchema,
  shape: z.array(z.number().int().min(-1)),
});
export type TensorSpec = z.infer<typeof TensorSpecSchema>;
