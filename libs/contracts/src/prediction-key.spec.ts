import { describe, expect, it } from 'vitest';
import type { InferRequest } from './oip.schema.js';
import { PREDICTION_KEY, predictionKey } from './prediction-key.js';
import { decodeInferRequest, encodeInferRequest } from './tensor.codec.js';
import { parseInferRequest } from './tensor.validation.js';

const flat: InferRequest = { inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 2], data: [1, 2, 3, 4] }] };

describe('predictionKey', () => {
  const key = (request: InferRequest, version = '1'): string => predictionKey('iris-mlp', version, request);

  it('is one key for nested and flat data, JSON or binary, whatever the request id', () => {
    const nested = parseInferRequest({ id: 'x', inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 2], data: [[1, 2], [3, 4]] }] });
    const binary = decodeInferRequest(encodeInferRequest(flat));
    expect(key(nested)).toBe(key(flat));
    expect(key(binary)).toBe(key(flat));
    expect(key(flat)).toMatch(/^iris-mlp@1:[0-9a-f]{64}$/);
    expect(key(flat)).toMatch(PREDICTION_KEY);
  });

  it('names the version, and differs for another version, input, output or parameter', () => {
    expect(key(flat, '2')).not.toBe(key(flat));
    expect(key({ inputs: [{ ...flat.inputs[0]!, data: [1, 2, 3, 5] }] })).not.toBe(key(flat));
    expect(key({ ...flat, outputs: [{ name: 'label' }] })).not.toBe(key(flat));
    expect(key({ ...flat, parameters: { a: 1, b: 2 } })).toBe(key({ ...flat, parameters: { b: 2, a: 1 } }));
    expect(key({ ...flat, parameters: { a: 1 } })).not.toBe(key(flat));
  });
});
