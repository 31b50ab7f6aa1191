import { describe, expect, it } from 'vitest';
import type { InferRequest, PredictorModel } from '@msp/contracts';
import type { ModelRoute } from '../discovery/model-registry.service.js';
import { precheckInputs } from './nats.backend.js';

const version = (v: string, shape: number[], name = 'features'): { model: PredictorModel; instances: number } => ({
  model: {
    model: 'iris',
    version: v,
    platform: 'onnxruntime',
    inputs: [{ name, datatype: 'FP32', shape }],
    outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }],
    labels: [],
  },
  instances: 1,
});

const request = (shape: number[], name = 'features', extra: Partial<InferRequest> = {}): InferRequest => ({
  inputs: [{ name, shape, datatype: 'FP32', data: new Array<number>(shape.reduce((a, b) => a * b, 1)).fill(1) }],
  ...extra,
});

describe('precheckInputs', () => {
  const route: ModelRoute = { name: 'iris', versions: [version('1', [-1, 4])] };

  it('accepts inputs that fit the advertised spec', () => {
    expect(() => precheckInputs(route, request([3, 4]))).not.toThrow();
  });

  it('refuses a wrong shape or input name with 400 naming the input', () => {
    expect(() => precheckInputs(route, request([1, 5]))).toThrow(/'features'.*\[1,5\]/);
    expect(() => precheckInputs(route, request([1, 4], 'pixels'))).toThrow(/no input 'pixels'/);
  });

  it('leaves requested outputs to the predictor', () => {
    expect(() => precheckInputs(route, request([1, 4], 'features', { outputs: [{ name: 'label' }] }))).not.toThrow();
  });

  it('accepts what any version takes', () => {
    const two: ModelRoute = { name: 'iris', versions: [version('2', [-1, 784], 'pixels'), version('1', [-1, 4])] };
    expect(() => precheckInputs(two, request([1, 4]))).not.toThrow();
    expect(() => precheckInputs(two, request([1, 5]))).toThrow(/no input 'features'/);
  });

  it('does not check models that advertise no inputs', () => {
    const bare: ModelRoute = { name: 'iris', versions: [{ ...version('1', []), model: { ...version('1', []).model, inputs: [] } }] };
    expect(() => precheckInputs(bare, request([1, 5]))).not.toThrow();
  });
});
