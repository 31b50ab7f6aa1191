import { describe, expect, it } from 'vitest';
import { ErrorCode, MspError } from './errors.js';
import { checkAgainstModel, itemIdOf, parseInferRequest } from './tensor.validation.js';

const iris = {
  name: 'iris-mlp',
  inputs: [{ name: 'input', datatype: 'FP32' as const, shape: [-1, 4] }],
  outputs: [{ name: 'probabilities', datatype: 'FP32' as const, shape: [-1, 3] }],
};

function rejection(fn: () => unknown): MspError {
  try {
    fn();
  } catch (error) {
    if (error instanceof MspError) return error;
    throw error;
  }
  throw new Error('expected a rejection');
}

describe('parseInferRequest', () => {
  it('flattens nested data that follows the shape', () => {
    const request = parseInferRequest({
      inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 2], data: [[1, 2], [3, 4]] }],
    });
    expect(request.inputs[0]?.data).toEqual([1, 2, 3, 4]);
  });

  it('keeps flat data as is', () => {
    const request = parseInferRequest({
      id: 'r1',
      inputs: [{ name: 'input', datatype: 'INT32', shape: [1, 3], data: [1, 2, 3] }],
    });
    expect(request).toMatchObject({ id: 'r1', inputs: [{ data: [1, 2, 3], shape: [1, 3] }] });
  });

  it('rejects data whose length does not match the shape, naming the input', () => {
    const error = rejection(() =>
      parseInferRequest({ inputs: [{ name: 'x', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3] }] }),
    );
    expect(error.code).toBe(ErrorCode.BadRequest);
    expect(error.message).toBe("input 'x': shape [1,4] needs 4 values, data has 3");
  });

  it('rejects ragged nested data even when the total count fits', () => {
    const error = rejection(() =>
      parseInferRequest({ inputs: [{ name: 'x', datatype: 'FP32', shape: [2, 2], data: [[1, 2, 3], [4]] }] }),
    );
    expect(error.message).toMatch(/input 'x': nested data does not follow shape \[2,2\]/);
  });

  it.each([
    ['FP32', 'a'],
    ['INT8', 200],
    ['INT32', 1.5],
    ['UINT8', -1],
    ['BOOL', 1],
    ['BYTES', 3],
  ])('rejects a value that is not a valid %s', (datatype, value) => {
    const error = rejection(() =>
      parseInferRequest({ inputs: [{ name: 'x', datatype, shape: [1], data: [value] }] }),
    );
    expect(error.message).toContain(`is not a valid ${datatype}`);
  });

  it('rejects an unknown datatype and a missing inputs list with the field named', () => {
    expect(rejection(() => parseInferRequest({ inputs: [{ name: 'x', datatype: 'FP128', shape: [1], data: [1] }] })).message).toMatch(
      /inputs\.0\.datatype/,
    );
    expect(rejection(() => parseInferRequest({})).message).toMatch(/inputs/);
    expect(rejection(() => parseInferRequest(null)).code).toBe(ErrorCode.BadRequest);
  });

  it('rejects the same input twice', () => {
    const input = { name: 'x', datatype: 'FP32', shape: [1], data: [1] };
    expect(rejection(() => parseInferRequest({ inputs: [input, input] })).message).toBe("input 'x' is given twice");
  });
});

describe('parseInferRequest with parameters.item_id (data cache)', () => {
  const tensor = { name: 'input', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] };
  const code = (body: unknown): number | undefined => {
    try {
      parseInferRequest(body);
      return undefined;
    } catch (error) {
      return MspError.is(error) ? error.code : -1;
    }
  };

  it('takes an id instead of inputs, omitted or empty', () => {
    expect(itemIdOf(parseInferRequest({ parameters: { item_id: 'iris-0' } }))).toBe('iris-0');
    expect(itemIdOf(parseInferRequest({ parameters: { item_id: 'mnist-3' }, inputs: [] }))).toBe('mnist-3');
    expect(itemIdOf(parseInferRequest({ inputs: [tensor] }))).toBeUndefined();
  });

  it('refuses both, neither, and an id that is not a plain string, with 400', () => {
    expect(() => parseInferRequest({ parameters: { item_id: 'iris-0' }, inputs: [tensor] })).toThrow(/either inputs or parameters.item_id \('iris-0'\), not both/);
    expect(() => parseInferRequest({ inputs: [] })).toThrow(/at least one input is required \(or parameters.item_id\)/);
    expect(code({ parameters: { item_id: 7 } })).toBe(ErrorCode.BadRequest);
    expect(code({ parameters: { item_id: 'a b' } })).toBe(ErrorCode.BadRequest);
  });
});

describe('checkAgainstModel', () => {
  const request = (shape: number[], datatype = 'FP32', name = 'input') =>
    parseInferRequest({ inputs: [{ name, datatype, shape, data: new Array(shape.reduce((a, b) => a * b, 1)).fill(0) }] });

  it('accepts any batch size where the model says -1', () => {
    expect(() => checkAgainstModel(request([7, 4]), iris)).not.toThrow();
  });

  it('names the expected shape when it does not match', () => {
    expect(rejection(() => checkAgainstModel(request([1, 3]), iris)).message).toBe(
      "input 'input': shape [1,3] does not match the model's [-1,4] (-1 = any size)",
    );
  });

  it('names the expected datatype when it does not match', () => {
    expect(rejection(() => checkAgainstModel(request([1, 4], 'FP64'), iris)).message).toBe(
      "input 'input': datatype FP64 does not match the model's FP32",
    );
  });

  it('rejects unknown inputs, missing inputs and unknown outputs', () => {
    expect(rejection(() => checkAgainstModel(request([1, 4], 'FP32', 'features'), iris)).message).toBe(
      "model 'iris-mlp' has no input 'features' (it takes 'input')",
    );
    const withOutput = { ...request([1, 4]), outputs: [{ name: 'logits' }] };
    expect(rejection(() => checkAgainstModel(withOutput, iris)).message).toBe(
      "model 'iris-mlp' has no output 'logits' (it has 'probabilities')",
    );
  });
});
