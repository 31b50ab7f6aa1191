import { describe, expect, it } from 'vitest';
import { decodePredictorMetadata, encodePredictorMetadata } from './predictor-metadata.js';

describe('predictor metadata', () => {
  const model = {
    model: 'iris-mlp',
    version: '1',
    platform: 'onnxruntime',
    inputs: [{ name: 'input', datatype: 'FP32' as const, shape: [-1, 4] }],
    outputs: [{ name: 'label', datatype: 'BYTES' as const, shape: [-1] }],
    labels: ['setosa', 'versicolor', 'virginica'],
  };

  it('survives the flat string map of micro service metadata', () => {
    const encoded = encodePredictorMetadata(model);
    expect(Object.values(encoded).every((value) => typeof value === 'string')).toBe(true);
    expect(decodePredictorMetadata(encoded)).toEqual(model);
  });

  it('ignores metadata that is not a predictor’s', () => {
    expect(decodePredictorMetadata(undefined)).toBeUndefined();
    expect(decodePredictorMetadata({ something: 'else' })).toBeUndefined();
    expect(decodePredictorMetadata({ model: 'x', version: '1', inputs: '{not json' })).toBeUndefined();
  });
});
