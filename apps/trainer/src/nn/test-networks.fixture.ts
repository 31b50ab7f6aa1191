import type { Rng } from '@msp/datasets';
import { Conv2dLayer } from './conv2d.layer.js';
import { DenseLayer } from './dense.layer.js';
import { initGlorotUniform, initHeNormal } from './layer.js';
import { MaxPoolLayer } from './max-pool.layer.js';
import { ReluLayer } from './relu.layer.js';
import { SequentialNetwork } from './sequential.network.js';

/**
 * For specs: every layer kind on a small odd-sized image (11×11 → padded conv → pool with a
 * dropped edge → valid conv → pool → dense → relu → dense), with non-zero biases.
 */
export function tinyConvNetwork(rng: Rng, side = 11): SequentialNetwork {
  const conv1 = new Conv2dLayer({ inChannels: 1, inHeight: side, inWidth: side, outChannels: 3, kernel: 3, pad: 1 }, 'c1');
  const pool1 = new MaxPoolLayer(3, conv1.outHeight, conv1.outWidth);
  const conv2 = new Conv2dLayer(
    { inChannels: 3, inHeight: pool1.outHeight, inWidth: pool1.outWidth, outChannels: 5, kernel: 2, pad: 0 },
    'c2',
  );
  const pool2 = new MaxPoolLayer(5, conv2.outHeight, conv2.outWidth);
  const hidden = new DenseLayer(pool2.outSize, 6, 'h');
  const logits = new DenseLayer(6, 4, 'out');
  initHeNormal(conv1.weight, conv1.fanIn, rng);
  initHeNormal(conv2.weight, conv2.fanIn, rng);
  initHeNormal(hidden.weight, hidden.inSize, rng);
  initGlorotUniform(logits.weight, 6, 4, rng);
  for (const bias of [conv1.bias, conv2.bias, hidden.bias, logits.bias]) {
    for (let i = 0; i < bias.value.length; i++) bias.value[i] = rng.normal() * 0.1;
  }
  return new SequentialNetwork([
    conv1,
    new ReluLayer(conv1.outSize),
    pool1,
    conv2,
    new ReluLayer(conv2.outSize),
    pool2,
    hidden,
    new ReluLayer(6),
    logits,
  ]);
}

export function randomImage(rng: Rng, side = 11): Float32Array {
  // Mostly ink-free like MNIST, so the dense layer's sparse path is exercised too.
  return Float32Array.from({ length: side * side }, () => (rng.next() < 0.4 ? rng.next() : 0));
}
