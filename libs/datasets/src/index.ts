export { createRng, DEFAULT_SEED } from './seeded-rng.js';
export type { Rng } from './seeded-rng.js';
export { stratifiedSplit } from './stratified-split.js';
export type { SplitIndices } from './stratified-split.js';
export { IRIS_PACKAGE, IRIS_TEST_FRACTION, loadIrisSplit } from './iris.dataset.js';
export type { IrisRows, IrisSplit } from './iris.dataset.js';
export {
  loadMnistSplit,
  MNIST_PACKAGE,
  MNIST_PIXELS,
  MNIST_SIDE,
  MNIST_TEST_FRACTION,
} from './mnist.dataset.js';
export type { MnistRows, MnistSplit } from './mnist.dataset.js';
export { describeDataset } from './dataset-info.js';
export type { DatasetInfo, DatasetName } from './dataset-info.js';
