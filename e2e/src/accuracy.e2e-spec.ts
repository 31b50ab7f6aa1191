import { describe, expect, it } from 'vitest';
import { IRIS_LABELS, MNIST_LABELS } from '@msp/contracts';
import { loadIrisSplit, loadMnistSplit } from '@msp/datasets';
import { inferBody, output, postJson, type OipResponse } from './support/http.js';
import { target } from './support/target.js';

/** The trainer's gates (issue #2); the served models must still meet them end to end. */
const GATES = { 'iris-softmax': 0.93, 'iris-mlp': 0.93, 'iris-trees': 0.93, 'mnist-mlp': 0.93, 'mnist-cnn': 0.96 } as const;

function accuracy(predicted: (string | number | boolean)[], expected: readonly string[]): number {
  const hits = predicted.filter((label, index) => label === expected[index]).length;
  return hits / expected.length;
}

describe('synchronous pattern: held-out accuracy through the gateway', () => {
  const { test: iris } = loadIrisSplit();
  const irisExpected = iris.targets.map((index) => IRIS_LABELS[index] as string);

  it.each(['iris-softmax', 'iris-mlp', 'iris-trees'] as const)('%s classifies the held-out iris rows', async (model) => {
    const { gatewayUrl } = target();
    const reply = await postJson<OipResponse>(`${gatewayUrl}/v2/models/${model}/infer`, inferBody(iris.features, [4]));
    expect(reply.status, JSON.stringify(reply.body)).toBe(200);
    expect(reply.body.model_name).toBe(model);
    expect(reply.body.model_version).toEqual(expect.any(String));
    const labels = output(reply.body, 'label');
    const probabilities = output(reply.body, 'probabilities');
    expect(labels.shape).toEqual([iris.features.length]);
    expect(probabilities.shape).toEqual([iris.features.length, 3]);
    expect(accuracy(labels.data, irisExpected)).toBeGreaterThanOrEqual(GATES[model]);
  });

  it('answers a multi-row request row by row, as single rows would', async () => {
    const { gatewayUrl } = target();
    const rows = iris.features.slice(0, 6);
    const batch = await postJson<OipResponse>(`${gatewayUrl}/v2/models/iris-mlp/infer`, inferBody(rows, [4]));
    const singles = await Promise.all(
      rows.map((row) => postJson<OipResponse>(`${gatewayUrl}/v2/models/iris-mlp/infer`, inferBody([row], [4]))),
    );
    expect(output(batch.body, 'label').data).toEqual(singles.map((single) => output(single.body, 'label').data[0]));
    const batchProbabilities = output(batch.body, 'probabilities').data as number[];
    singles.forEach((single, row) => {
      const probabilities = output(single.body, 'probabilities').data as number[];
      probabilities.forEach((p, k) => expect(batchProbabilities[row * 3 + k]).toBeCloseTo(p, 5));
    });
  });

  const { test: mnist } = loadMnistSplit();
  const mnistExpected = mnist.targets.map((index) => MNIST_LABELS[index] as string);

  it.each(['mnist-mlp', 'mnist-cnn'] as const)('%s classifies the 2,000 held-out digits', async (model) => {
    const { gatewayUrl } = target();
    const batchSize = 50; // ~350 kB of JSON a request: well inside NATS's 1 MB max_payload
    const predicted: (string | number | boolean)[] = [];
    for (let start = 0; start < mnist.images.length; start += batchSize) {
      const images = mnist.images.slice(start, start + batchSize);
      const reply = await postJson<OipResponse>(`${gatewayUrl}/v2/models/${model}/infer`, inferBody(images, [28, 28]));
      expect(reply.status, JSON.stringify(reply.body).slice(0, 300)).toBe(200);
      predicted.push(...output(reply.body, 'label').data);
    }
    expect(predicted).toHaveLength(mnist.images.length);
    expect(accuracy(predicted, mnistExpected)).toBeGreaterThanOrEqual(GATES[model]);
  });
});
