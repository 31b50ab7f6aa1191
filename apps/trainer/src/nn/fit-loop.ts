import type { Rng } from '@msp/datasets';
import { AdamOptimizer } from './adam.optimizer.js';
import type { SequentialNetwork } from './sequential.network.js';
import { argmax, softmaxInto } from './softmax.js';

export interface FitData {
  inputs: readonly Float32Array[];
  targets: readonly number[];
}

export interface EpochStats {
  epoch: number;
  epochs: number;
  /** Mean cross-entropy over the epoch's (possibly augmented) training samples. */
  loss: number;
  /** Training accuracy during the epoch (weights still moving). */
  accuracy: number;
  seconds: number;
}

export interface FitOptions {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Cosine decay to `learningRate * finalLrFraction` over all steps (default: constant). */
  finalLrFraction?: number;
  rng: Rng;
  /** Returns the sample to train on (e.g. shifted); may write into `scratch`. */
  augment?: (input: Float32Array, scratch: Float32Array, rng: Rng) => Float32Array;
  onEpoch?: (stats: EpochStats) => void;
}

/**
 * Mini-batch Adam on softmax cross-entropy. Every random choice (order, augmentation)
 * comes from `options.rng`, so a run is reproducible bit for bit.
 */
export function fitNetwork(network: SequentialNetwork, data: FitData, options: FitOptions): EpochStats[] {
  const { epochs, batchSize, learningRate, rng } = options;
  const optimizer = new AdamOptimizer(network.params);
  const probs = new Float32Array(network.classes);
  const scratch = new Float32Array(network.inSize);
  const order = data.inputs.map((_, i) => i);
  const stepsPerEpoch = Math.ceil(order.length / batchSize);
  const totalSteps = epochs * stepsPerEpoch;
  const finalFraction = options.finalLrFraction ?? 1;
  const history: EpochStats[] = [];
  let step = 0;

  for (let epoch = 1; epoch <= epochs; epoch++) {
    const started = performance.now();
    rng.shuffle(order);
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < order.length; start += batchSize) {
      const end = Math.min(start + batchSize, order.length);
      for (let k = start; k < end; k++) {
        const index = order[k] as number;
        const target = data.targets[index] as number;
        const raw = data.inputs[index] as Float32Array;
        const input = options.augment ? options.augment(raw, scratch, rng) : raw;
        softmaxInto(network.forward(input), probs);
        lossSum -= Math.log(Math.max(probs[target] as number, 1e-12));
        if (argmax(probs) === target) correct++;
        // d(cross-entropy)/d(logits) = probabilities - one-hot.
        probs[target] = (probs[target] as number) - 1;
        network.backward(probs);
      }
      const progress = totalSteps > 1 ? step / (totalSteps - 1) : 1;
      const cosine = 0.5 * (1 + Math.cos(Math.PI * progress));
      optimizer.step(end - start, learningRate * (finalFraction + (1 - finalFraction) * cosine));
      step++;
    }
    const stats: EpochStats = {
      epoch,
      epochs,
      loss: lossSum / order.length,
      accuracy: correct / order.length,
      seconds: (performance.now() - started) / 1000,
    };
    history.push(stats);
    options.onEpoch?.(stats);
  }
  return history;
}
