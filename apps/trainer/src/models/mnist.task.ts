import { MNIST_LABELS } from '@msp/contracts';
import type { Rng } from '@msp/datasets';
import { loadMnistSplit, MNIST_PIXELS, MNIST_SIDE } from '@msp/datasets';
import { DIGIT_TRANSFORM_NAME, digitTensorFromUnitFloats } from '@msp/preprocessing/digit';
import type { HeldOutSet, TaskSpec, TrainContext } from './model-trainer.js';
import { shuffledTargets } from './shuffled-targets.js';

export const MNIST_TASK: TaskSpec = {
  dataset: 'mnist',
  preprocessing: DIGIT_TRANSFORM_NAME,
  inputShape: [MNIST_SIDE, MNIST_SIDE],
  labels: MNIST_LABELS,
};

export interface MnistData {
  trainImages: Float32Array[];
  trainTargets: number[];
  testImages: Float32Array[];
  heldOut: HeldOutSet;
}

/**
 * A digit as serving sees it: MNIST's pixels as the 8-bit grey bitmap a PNG of the digit
 * holds, through the same transform the preprocess service applies to uploads (@msp/preprocessing),
 * so training and serving give bit-identical tensors for the same image.
 */
export function prepareDigit(image: Float32Array): Float32Array {
  return digitTensorFromUnitFloats(image, MNIST_SIDE);
}

export function loadMnistData({ seed, shuffleLabels }: Pick<TrainContext, 'seed' | 'shuffleLabels'>): MnistData {
  const split = loadMnistSplit(seed);
  const train = { ...split.train, images: split.train.images.map(prepareDigit) };
  const test = { ...split.test, images: split.test.images.map(prepareDigit) };
  const data = new Float32Array(test.images.length * MNIST_PIXELS);
  test.images.forEach((image, i) => data.set(image, i * MNIST_PIXELS));
  return {
    trainImages: train.images,
    trainTargets: shuffleLabels ? shuffledTargets(train.targets, seed) : train.targets,
    testImages: test.images,
    heldOut: { batch: { data, dims: [test.images.length, MNIST_SIDE, MNIST_SIDE] }, targets: test.targets },
  };
}

/**
 * Augmentation: moves the digit by a random whole-pixel offset in [-maxShift, maxShift] on
 * each axis, filling with background. Teaches the nets that position does not matter, which
 * with only 8,000 training digits is worth more than extra epochs.
 */
export function randomShift(maxShift: number): (image: Float32Array, scratch: Float32Array, rng: Rng) => Float32Array {
  return (image, scratch, rng) => {
    const dx = rng.int(2 * maxShift + 1) - maxShift;
    const dy = rng.int(2 * maxShift + 1) - maxShift;
    if (dx === 0 && dy === 0) return image;
    scratch.fill(0);
    for (let y = Math.max(0, dy); y < Math.min(MNIST_SIDE, MNIST_SIDE + dy); y++) {
      const from = (y - dy) * MNIST_SIDE;
      const to = y * MNIST_SIDE;
      for (let x = Math.max(0, dx); x < Math.min(MNIST_SIDE, MNIST_SIDE + dx); x++) {
        scratch[to + x] = image[from + x - dx] as number;
      }
    }
    return scratch;
  };
}
