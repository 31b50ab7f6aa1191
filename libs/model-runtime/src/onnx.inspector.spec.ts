import { describe, expect, it } from 'vitest';
import { defaultOpset, inspectOnnx } from './onnx.inspector.js';
import { identityOnnx, softmaxClassifierOnnx } from './testing/onnx-fixture.js';

describe('inspectOnnx', () => {
  it('describes inputs and outputs as manifest specs, unknown axes as -1, and reads the ai.onnx opset', async () => {
    const classifier = softmaxClassifierOnnx([[1, 0], [0, 1]], [0, 0]);
    await expect(inspectOnnx(classifier, 'classifier.onnx')).resolves.toEqual({
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 2] }],
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 2] }],
      opset: 17,
    });
    const identity = await inspectOnnx(identityOnnx('INT64', [3, -1]), 'identity.onnx');
    expect(identity.inputs).toEqual([{ name: 'input', datatype: 'INT64', shape: [3, -1] }]);
  });

  it('refuses what onnxruntime cannot load, and finds no opset in bytes that are not a model', async () => {
    const garbage = new TextEncoder().encode('not a model');
    await expect(inspectOnnx(garbage, 'garbage.onnx')).rejects.toThrow(/garbage\.onnx cannot be loaded by onnxruntime/);
    expect(defaultOpset(garbage)).toBeUndefined();
  });
});
