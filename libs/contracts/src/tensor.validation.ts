import { z } from 'zod';
import { DATATYPES, type Datatype, type TensorSpec } from './datatypes.js';
import { MspError } from './errors.js';
import { isItemId, ITEM_ID_PARAMETER } from './items.js';
import { InferRequestSchema, type InferRequest, type InferTensor, type TensorData } from './oip.schema.js';

const INTEGER_RANGES: Partial<Record<Datatype, readonly [number, number]>> = {
  UINT8: [0, 0xff],
  UINT16: [0, 0xffff],
  UINT32: [0, 0xffffffff],
  UINT64: [0, Number.MAX_SAFE_INTEGER],
  INT8: [-0x80, 0x7f],
  INT16: [-0x8000, 0x7fff],
  INT32: [-0x80000000, 0x7fffffff],
  INT64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
};

const FLOAT_TYPES = new Set<Datatype>(['FP16', 'FP32', 'FP64']);

/** The largest finite magnitudes: a larger number would silently become Infinity in the tensor. */
const FLOAT_LIMITS: Partial<Record<Datatype, number>> = { FP16: 65_504, FP32: 3.4028234663852886e38 };

/** A value for an error message: never the whole of it (a client's value may be huge or nested thousands deep). */
function describeValue(value: unknown): string {
  if (Array.isArray(value)) return `an array of ${value.length}`;
  if (value === null) return 'null';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return JSON.stringify(value.length > 32 ? `${value.slice(0, 32)}…` : value);
  return String(value);
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((count, dim) => count * dim, 1);
}

export function formatShape(shape: readonly number[]): string {
  return `[${shape.join(',')}]`;
}

/**
 * Validates an OIP v2 infer request body and returns it with every input's data flattened.
 * Throws MspError(400) naming the input and what is wrong with it.
 */
export function parseInferRequest(body: unknown): InferRequest {
  const { inputs, ...rest } = plainInferRequest(body) ?? schemaParse(body);
  checkInputSource(inputs.length, rest.parameters);
  const names = new Set<string>();
  const tensors = inputs.map((input): InferTensor => {
    if (names.has(input.name)) throw MspError.badRequest(`input '${input.name}' is given twice`);
    names.add(input.name);
    return { ...input, data: flattenData(input.name, input.datatype, input.shape, input.data) };
  });
  return { ...rest, inputs: tensors };
}

function schemaParse(body: unknown): z.output<typeof InferRequestSchema> {
  const parsed = InferRequestSchema.safeParse(body);
  if (!parsed.success) {
    throw MspError.badRequest(`invalid inference request: ${formatIssues(parsed.error)}`);
  }
  return parsed.data;
}

const DATATYPE_NAMES: ReadonlySet<unknown> = new Set(DATATYPES);
const REQUEST_KEYS: ReadonlySet<string> = new Set(['id', 'inputs', 'outputs']);
const INPUT_KEYS: ReadonlySet<string> = new Set(['name', 'shape', 'datatype', 'data']);
const OUTPUT_KEYS: ReadonlySet<string> = new Set(['name']);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value) as unknown;
  return prototype === Object.prototype || prototype === null;
}

/** Only the keys named: anything else (parameters, unknown keys, `undefined` values) goes to the schema. */
function hasOnlyKeys(value: Record<string, unknown>, keys: ReadonlySet<string>): boolean {
  for (const key in value) if (!keys.has(key) || value[key] === undefined) return false;
  return true;
}

/**
 * The common request — inputs with name, shape, datatype and data, maybe an id and outputs by
 * name, no parameters — checked by hand, with what `InferRequestSchema` would return (same
 * keys, same order) but without zod copying every data element (~90 µs inclusive on a
 * 784-float image). Anything else returns undefined and goes through the schema, which also
 * words every error, so answers and messages are the schema's (a property test holds them equal).
 * Exported for that test only; not part of the package's entry.
 */
export function plainInferRequest(body: unknown): z.output<typeof InferRequestSchema> | undefined {
  if (!isPlainObject(body) || !hasOnlyKeys(body, REQUEST_KEYS)) return undefined;
  const { id, inputs, outputs } = body;
  if (id !== undefined && (typeof id !== 'string' || id.length > 256)) return undefined;
  if (!Array.isArray(inputs)) return undefined;
  const tensors: z.output<typeof InferRequestSchema>['inputs'] = [];
  for (const input of inputs) {
    if (!isPlainObject(input) || !hasOnlyKeys(input, INPUT_KEYS)) return undefined;
    const { name, shape, datatype, data } = input;
    if (typeof name !== 'string' || name.length === 0 || !DATATYPE_NAMES.has(datatype) || !Array.isArray(data)) return undefined;
    if (!Array.isArray(shape) || shape.length > 8 || !shape.every((dim) => Number.isSafeInteger(dim) && (dim as number) >= 0)) return undefined;
    tensors.push({ name, shape: [...(shape as number[])], datatype: datatype as Datatype, data });
  }
  let requested: { name: string }[] | undefined;
  if (outputs !== undefined) {
    if (!Array.isArray(outputs)) return undefined;
    requested = [];
    for (const output of outputs) {
      if (!isPlainObject(output) || !hasOnlyKeys(output, OUTPUT_KEYS)) return undefined;
      if (typeof output['name'] !== 'string' || output['name'].length === 0) return undefined;
      requested.push({ name: output['name'] });
    }
  }
  return {
    ...(id === undefined ? {} : { id }),
    inputs: tensors,
    ...(requested === undefined ? {} : { outputs: requested }),
  };
}

/**
 * A request carries its inputs or names them by `parameters.item_id` (data cache), never both
 * nor neither, so what is inferred is never ambiguous.
 */
function checkInputSource(inputCount: number, parameters: Record<string, unknown> | undefined): void {
  const itemId = parameters?.[ITEM_ID_PARAMETER];
  if (itemId === undefined) {
    if (inputCount === 0) throw MspError.badRequest(`invalid inference request: inputs: at least one input is required (or parameters.${ITEM_ID_PARAMETER})`);
    return;
  }
  if (!isItemId(itemId)) {
    throw MspError.badRequest(`parameters.${ITEM_ID_PARAMETER} must be a string of letters, digits, '-', '_' or '.' (at most 128)`);
  }
  if (inputCount > 0) {
    throw MspError.badRequest(`give either inputs or parameters.${ITEM_ID_PARAMETER} ('${itemId}'), not both`);
  }
}

/** The item a parsed request names instead of carrying inputs (data cache), if any. */
export function itemIdOf(request: InferRequest): string | undefined {
  const itemId = request.parameters?.[ITEM_ID_PARAMETER];
  return request.inputs.length === 0 && isItemId(itemId) ? itemId : undefined;
}

function flattenData(name: string, datatype: Datatype, shape: number[], data: unknown[]): TensorData {
  const flat = data.some(Array.isArray) ? flattenNested(name, data, shape) : data;
  const expected = elementCount(shape);
  if (flat.length !== expected) {
    throw MspError.badRequest(
      `input '${name}': shape ${formatShape(shape)} needs ${expected} values, data has ${flat.length}`,
    );
  }
  const fits = valueCheckOf(datatype);
  let bad = -1;
  for (let index = 0; index < flat.length; index += 1) {
    if (!fits(flat[index])) {
      bad = index;
      break;
    }
  }
  if (bad !== -1) {
    throw MspError.badRequest(
      `input '${name}': value at index ${bad} (${describeValue(flat[bad])}) is not a valid ${datatype}`,
    );
  }
  return flat as TensorData;
}

/** Nested data must follow the shape exactly at every level, not merely hold enough values. */
function flattenNested(name: string, data: unknown[], shape: number[]): unknown[] {
  const flat: unknown[] = [];
  const walk = (level: unknown[], axis: number): void => {
    if (level.length !== shape[axis] || axis >= shape.length) {
      throw MspError.badRequest(
        `input '${name}': nested data does not follow shape ${formatShape(shape)} at axis ${axis}`,
      );
    }
    for (const item of level) {
      if (axis < shape.length - 1) {
        if (!Array.isArray(item)) {
          throw MspError.badRequest(`input '${name}': expected a nested array at axis ${axis + 1}`);
        }
        walk(item, axis + 1);
      } else {
        flat.push(item);
      }
    }
  };
  walk(data, 0);
  return flat;
}

/** The check of one element for a datatype, decided once per tensor rather than per element. */
function valueCheckOf(datatype: Datatype): (value: unknown) => boolean {
  if (datatype === 'BOOL') return (value) => typeof value === 'boolean';
  if (datatype === 'BYTES') return (value) => typeof value === 'string';
  if (FLOAT_TYPES.has(datatype)) {
    const limit = FLOAT_LIMITS[datatype] ?? Number.MAX_VALUE;
    return (value) => typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= limit;
  }
  const range = INTEGER_RANGES[datatype];
  if (range === undefined) return () => false;
  const [min, max] = range;
  return (value) => typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max;
}

/** What `checkAgainstModel` reads of an input: never its data. */
export type TensorHead = Pick<InferTensor, 'name' | 'datatype' | 'shape'>;

/**
 * Checks the request's inputs and requested outputs against what a model declares: names,
 * datatypes and shapes only, so it costs the same for any tensor size (data was checked when
 * the body was parsed or decoded).
 */
export function checkAgainstModel(
  request: { inputs: readonly TensorHead[]; outputs?: InferRequest['outputs'] },
  model: { name: string; inputs: readonly TensorSpec[]; outputs: readonly TensorSpec[] },
): void {
  for (const [index, input] of request.inputs.entries()) {
    // parseInferRequest refuses this too; a binary body reaches here without it.
    if (request.inputs.findIndex((other) => other.name === input.name) !== index) {
      throw MspError.badRequest(`input '${input.name}' is given twice`);
    }
    const spec = model.inputs.find((candidate) => candidate.name === input.name);
    if (!spec) {
      const known = model.inputs.map((candidate) => `'${candidate.name}'`).join(', ');
      throw MspError.badRequest(`model '${model.name}' has no input '${input.name}' (it takes ${known})`);
    }
    checkTensorAgainstSpec(input, spec);
  }
  for (const spec of model.inputs) {
    if (!request.inputs.some((input) => input.name === spec.name)) {
      throw MspError.badRequest(
        `input '${spec.name}' is missing: model '${model.name}' needs ${spec.datatype} ${formatShape(spec.shape)}`,
      );
    }
  }
  for (const output of request.outputs ?? []) {
    if (!model.outputs.some((spec) => spec.name === output.name)) {
      const known = model.outputs.map((spec) => `'${spec.name}'`).join(', ');
      throw MspError.badRequest(`model '${model.name}' has no output '${output.name}' (it has ${known})`);
    }
  }
}

export function checkTensorAgainstSpec(input: TensorHead, spec: TensorSpec): void {
  if (input.datatype !== spec.datatype) {
    throw MspError.badRequest(
      `input '${input.name}': datatype ${input.datatype} does not match the model's ${spec.datatype}`,
    );
  }
  const fits =
    input.shape.length === spec.shape.length &&
    spec.shape.every((dim, axis) => dim === -1 || dim === input.shape[axis]);
  if (!fits) {
    throw MspError.badRequest(
      `input '${input.name}': shape ${formatShape(input.shape)} does not match the model's ${formatShape(spec.shape)} (-1 = any size)`,
    );
  }
}

function formatIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((issue) => (issue.path.length ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}
