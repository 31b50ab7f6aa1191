import { describe, expect, it } from 'vitest';
import { MspError, type InferResponse, type PredictorModel } from '@msp/contracts';
import { backoffMs, chooseModel, isTransient, modelInfo, rowScores } from './predictor.client.js';

const iris = (version: string): PredictorModel => ({
  model: 'iris-mlp',
  version,
  platform: 'onnxruntime',
  inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
  outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }],
  labels: ['setosa', 'versicolor', 'virginica'],
});

describe('predictor client helpers', () => {
  it('retries only 503 and 504, with capped exponential backoff', () => {
    expect(isTransient(MspError.unavailable('no predictor'))).toBe(true);
    expect(isTransient(MspError.deadlineExceeded('slow'))).toBe(true);
    expect(isTransient(MspError.badRequest('bad'))).toBe(false);
    expect(isTransient(new Error('other'))).toBe(false);
    const policy = { retries: 5, baseMs: 100, maxMs: 1000 };
    expect([0, 1, 2, 3, 4].map((n) => backoffMs(n, policy))).toEqual([100, 200, 400, 800, 1000]);
  });

  it('picks the newest version of the model, or the pinned one', () => {
    const found = [iris('2'), iris('10'), { ...iris('1'), model: 'iris-trees' }];
    expect(chooseModel(found, 'iris-mlp')?.version).toBe('10');
    expect(chooseModel(found, 'iris-mlp', '2')?.version).toBe('2');
    expect(chooseModel(found, 'iris-mlp', '3')).toBeUndefined();
  });

  it('derives the row width from the input shape', () => {
    expect(modelInfo(iris('1'))).toMatchObject({ width: 4, version: '1', input: { name: 'input' } });
    const mnist = { ...iris('1'), inputs: [{ name: 'input', datatype: 'FP32' as const, shape: [-1, 28, 28] }] };
    expect(modelInfo(mnist).width).toBe(784);
  });

  it('turns the probabilities of a multi-row response into labels by argmax', () => {
    const response: InferResponse = {
      model_name: 'iris-mlp',
      model_version: '1',
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [2, 3], data: [0.9, 0.05, 0.05, 0.1, 0.2, 0.7] }],
    };
    expect(rowScores(response, 2, ['setosa', 'versicolor', 'virginica'])).toEqual([
      { label: 'setosa', probabilities: [0.9, 0.05, 0.05] },
      { label: 'virginica', probabilities: [0.1, 0.2, 0.7] },
    ]);
    expect(() => rowScores(response, 3, [])).toThrow(/answered 2 rows for 3/);
  });
});
