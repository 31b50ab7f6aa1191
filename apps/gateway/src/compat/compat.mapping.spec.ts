import type { InferResponse, ModelMetadata } from '@msp/contracts';
import { describe, expect, it } from 'vitest';
import { toInferRequest, toLabel, toPrediction } from './compat.mapping.js';

const iris: ModelMetadata = { name: 'iris-mlp', versions: ['1'], platform: 'onnx', inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }], outputs: [] };
const mnist: ModelMetadata = { ...iris, name: 'mnist-mlp', inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 28, 28] }] };
const answer = (rows: number): InferResponse => ({
  model_name: 'iris-mlp',
  outputs: [
    { name: 'probabilities', datatype: 'FP32', shape: [rows, 3], data: Array.from({ length: rows * 3 }, (_, i) => i) },
    { name: 'label', datatype: 'BYTES', shape: [rows], data: Array.from({ length: rows }, (_, i) => `c${i}`) },
  ],
});

describe('the seeds\' sample API over OIP', () => {
  it('turns {"data": [[…]]} into an OIP request of the model\'s input, row by row', () => {
    expect(toInferRequest({ data: [[5.1, 3.5, 1.4, 0.2], [6, 3, 5, 2]] }, iris)).toEqual({
      inputs: [{ name: 'input', datatype: 'FP32', shape: [2, 4], data: [5.1, 3.5, 1.4, 0.2, 6, 3, 5, 2] }],
    });
    expect(toInferRequest({ data: [new Array(784).fill(0)] }, mnist).inputs[0]?.shape).toEqual([1, 28, 28]);
  });

  it('refuses what the samples would choke on with a clear 400', () => {
    expect(() => toInferRequest({}, iris)).toThrow(/send \{"data"/);
    expect(() => toInferRequest({ data: [[1, 2]] }, iris)).toThrow(/data\[0\] has 2 values; model 'iris-mlp' takes 4/);
    expect(() => toInferRequest({ data: [[1, 2, 'x', 4]] }, iris)).toThrow(/finite numbers/);
  });

  it('answers one row flat, several per row', () => {
    expect(toPrediction(answer(1))).toEqual([0, 1, 2]);
    expect(toPrediction(answer(2))).toEqual([[0, 1, 2], [3, 4, 5]]);
    expect(toLabel(answer(1))).toBe('c0');
    expect(toLabel(answer(2))).toEqual(['c0', 'c1']);
  });
});
