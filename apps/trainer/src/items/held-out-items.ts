import { IRIS_LABELS, itemKey, MNIST_LABELS, type StoredItem } from '@msp/contracts';
import { loadIrisSplit, loadMnistSplit, MNIST_SIDE } from '@msp/datasets';

/**
 * The items the data cache serves: every held-out row of the splits the models were trained
 * without, under `iris-<n>` and `mnist-<n>`, each as the models' one input (`input`, FP32: iris
 * [1,4] in cm, a digit [1,28,28] in [0,1]) plus its true label, so a client can check an answer.
 */
export function* heldOutItems(options: { mnistCount?: number } = {}): Generator<[string, StoredItem]> {
  const iris = loadIrisSplit().test;
  for (const [index, row] of iris.features.entries()) {
    const label = IRIS_LABELS[iris.targets[index] ?? -1];
    yield [itemKey('iris', index), { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: row }], ...(label ? { label } : {}) }];
  }
  const mnist = loadMnistSplit().test;
  const count = Math.min(options.mnistCount ?? mnist.images.length, mnist.images.length);
  for (let index = 0; index < count; index += 1) {
    const label = MNIST_LABELS[mnist.targets[index] ?? -1];
    const data = Array.from(mnist.images[index] ?? []);
    yield [itemKey('mnist', index), { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, MNIST_SIDE, MNIST_SIDE], data }], ...(label ? { label } : {}) }];
  }
}
