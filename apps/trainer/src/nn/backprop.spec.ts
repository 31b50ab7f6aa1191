import { createRng } from '@msp/datasets';
import { describe, expect, it } from 'vitest';
import { DenseLayer } from './dense.layer.js';
import { fitNetwork } from './fit-loop.js';
import { initGlorotUniform } from './layer.js';
import type { SequentialNetwork } from './sequential.network.js';
import { softmaxInto } from './softmax.js';
import { StandardizeLayer } from './standardize.layer.js';
import { SequentialNetwork as Network } from './sequential.network.js';
import { randomImage, tinyConvNetwork } from './test-networks.fixture.js';

function loss(network: SequentialNetwork, input: Float32Array, target: number): number {
  const probs = softmaxInto(network.forward(input), new Float32Array(network.classes));
  return -Math.log(probs[target] as number);
}

/** Analytic gradients of one sample's loss, read from Param.grad (then cleared). */
function analyticGradients(network: SequentialNetwork, input: Float32Array, target: number): Float32Array[] {
  network.params.forEach((p) => p.grad.fill(0));
  const probs = softmaxInto(network.forward(input), new Float32Array(network.classes));
  probs[target] = (probs[target] as number) - 1;
  network.backward(probs);
  return network.params.map((p) => Float32Array.from(p.grad));
}

describe('back-propagation', () => {
  it('matches central differences on every parameter of a conv/pool/dense network', () => {
    const rng = createRng(11);
    const network = tinyConvNetwork(rng);
    const input = randomImage(rng);
    const target = 2;
    const analytic = analyticGradients(network, input, target);
    // Small enough not to cross a ReLU or max-pool switch at this seed, large enough for
    // float32 round-off to stay well under the tolerance below.
    const eps = 1e-3;
    let checked = 0;
    network.params.forEach((param, k) => {
      for (let i = 0; i < param.value.length; i++) {
        const saved = param.value[i] as number;
        param.value[i] = saved + eps;
        const up = loss(network, input, target);
        param.value[i] = saved - eps;
        const down = loss(network, input, target);
        param.value[i] = saved;
        const numeric = (up - down) / (2 * eps);
        const a = analytic[k]?.[i] as number;
        expect(Math.abs(numeric - a), `${param.name}[${i}]`).toBeLessThan(2e-4 + 2e-2 * Math.abs(a));
        if (a !== 0) checked++;
      }
    });
    // Every tensor must actually receive gradient, or the check proves nothing for it.
    for (const [k, param] of network.params.entries()) {
      expect(analytic[k]?.some((g) => g !== 0), param.name).toBe(true);
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('learns a linearly separable problem, reproducibly', () => {
    const run = (): number[] => {
      const rng = createRng(3);
      const rows = Array.from({ length: 60 }, (_, i) => [i % 2 === 0 ? 10 + rng.next() : 12 + rng.next(), rng.next()]);
      const targets = rows.map((_, i) => i % 2);
      const dense = new DenseLayer(2, 2, 'd');
      initGlorotUniform(dense.weight, 2, 2, rng);
      const network = new Network([StandardizeLayer.fit(rows), dense]);
      const history = fitNetwork(
        network,
        { inputs: rows.map((r) => Float32Array.from(r)), targets },
        { epochs: 30, batchSize: 8, learningRate: 0.05, rng },
      );
      return history.map((h) => h.loss);
    };
    const losses = run();
    expect(losses.at(-1)).toBeLessThan(0.1);
    expect(losses.at(-1)).toBeLessThan(losses[0] as number);
    expect(run()).toEqual(losses);
  });
});
