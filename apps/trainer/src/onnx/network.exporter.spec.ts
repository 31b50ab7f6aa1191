import { createRng } from '@msp/datasets';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { maxAbsDiff } from '../evaluate/classification.metrics.js';
import { scoreWithOnnx } from '../evaluate/onnx.evaluator.js';
import { DenseLayer } from '../nn/dense.layer.js';
import { initGlorotUniform } from '../nn/layer.js';
import { SequentialNetwork } from '../nn/sequential.network.js';
import { StandardizeLayer } from '../nn/standardize.layer.js';
import { randomImage, tinyConvNetwork } from '../nn/test-networks.fixture.js';
import { exportNetwork } from './network.exporter.js';
import { encodeOnnxModel } from './onnx-writer.js';

describe('exportNetwork', () => {
  it('gives onnxruntime the same probabilities as our conv network, from [N, H, W] input', async () => {
    const rng = createRng(5);
    const network = tinyConvNetwork(rng);
    const images = Array.from({ length: 16 }, () => randomImage(rng));
    const bytes = encodeOnnxModel(exportNetwork(network, { graphName: 't', inputShape: [11, 11], producerVersion: '0' }));
    const data = new Float32Array(16 * 121);
    images.forEach((image, i) => data.set(image, i * 121));
    const onnx = await scoreWithOnnx(bytes, { data, dims: [16, 11, 11] });
    expect(onnx.classes).toBe(4);
    expect(maxAbsDiff(onnx.probabilities, network.predictProbabilities(images))).toBeLessThan(1e-5);
  });

  it('puts feature scaling inside the graph: raw rows in, one input "input" [batch, 4]', async () => {
    const rng = createRng(2);
    const rows = Array.from({ length: 10 }, () => [5 + rng.next(), 3 + rng.next(), 4 * rng.next(), rng.next()]);
    const dense = new DenseLayer(4, 3, 'd');
    initGlorotUniform(dense.weight, 4, 3, rng);
    const network = new SequentialNetwork([StandardizeLayer.fit(rows), dense]);
    const bytes = encodeOnnxModel(exportNetwork(network, { graphName: 't', inputShape: [4], producerVersion: '0' }));
    const session = await ort.InferenceSession.create(bytes);
    expect(session.inputNames).toEqual(['input']);
    await session.release();
    const onnx = await scoreWithOnnx(bytes, { data: Float32Array.from(rows.flat()), dims: [10, 4] });
    const own = network.predictProbabilities(rows.map((r) => Float32Array.from(r)));
    expect(maxAbsDiff(onnx.probabilities, own)).toBeLessThan(1e-6);
  });
});
