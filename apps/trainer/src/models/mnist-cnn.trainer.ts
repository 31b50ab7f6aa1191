import { createRng, MNIST_SIDE } from '@msp/datasets';
import { Conv2dLayer } from '../nn/conv2d.layer.js';
import { DenseLayer } from '../nn/dense.layer.js';
import { initGlorotUniform, initHeNormal } from '../nn/layer.js';
import { MaxPoolLayer } from '../nn/max-pool.layer.js';
import { ReluLayer } from '../nn/relu.layer.js';
import { SequentialNetwork } from '../nn/sequential.network.js';
import type { ModelTrainer, TrainContext, TrainedModel } from './model-trainer.js';
import { loadMnistData, MNIST_TASK, randomShift } from './mnist.task.js';
import { trainNetworkModel } from './network-model.builder.js';

const CONV1 = 8;
const CONV2 = 16;
const HIDDEN = 64;
const MAX_SHIFT = 1;

/**
 * The accurate MNIST model: conv 8@3×3 → pool → conv 16@3×3 → pool → dense 64 → 10.
 * Small on purpose: our typed-array trainer runs an epoch in a few seconds on one core.
 */
export const mnistCnnTrainer: ModelTrainer = {
  name: 'mnist-cnn',
  description: `CNN conv ${CONV1}@3×3 → max-pool → conv ${CONV2}@3×3 → max-pool → dense ${HIDDEN} → 10 on 28×28 MNIST digits, trained with ±${MAX_SHIFT} px shifts.`,
  task: MNIST_TASK,
  gate: 0.96,
  train(context: TrainContext): TrainedModel {
    const data = loadMnistData(context);
    const rng = createRng(context.seed);
    const conv1 = new Conv2dLayer(
      { inChannels: 1, inHeight: MNIST_SIDE, inWidth: MNIST_SIDE, outChannels: CONV1, kernel: 3, pad: 0 },
      'conv1',
    );
    const pool1 = new MaxPoolLayer(CONV1, conv1.outHeight, conv1.outWidth);
    const conv2 = new Conv2dLayer(
      { inChannels: CONV1, inHeight: pool1.outHeight, inWidth: pool1.outWidth, outChannels: CONV2, kernel: 3, pad: 0 },
      'conv2',
    );
    const pool2 = new MaxPoolLayer(CONV2, conv2.outHeight, conv2.outWidth);
    const hidden = new DenseLayer(pool2.outSize, HIDDEN, 'hidden');
    const logits = new DenseLayer(HIDDEN, 10, 'logits');
    initHeNormal(conv1.weight, conv1.fanIn, rng);
    initHeNormal(conv2.weight, conv2.fanIn, rng);
    initHeNormal(hidden.weight, pool2.outSize, rng);
    initGlorotUniform(logits.weight, HIDDEN, 10, rng);
    const network = new SequentialNetwork([
      conv1,
      new ReluLayer(conv1.outSize),
      pool1,
      conv2,
      new ReluLayer(conv2.outSize),
      pool2,
      hidden,
      new ReluLayer(HIDDEN),
      logits,
    ]);
    return trainNetworkModel({
      name: this.name,
      description: this.description,
      task: this.task,
      network,
      rng,
      train: { inputs: data.trainImages, targets: data.trainTargets },
      test: { inputs: data.testImages, heldOut: data.heldOut },
      fit: { epochs: 12, batchSize: 32, learningRate: 0.002, finalLrFraction: 0.05, augment: randomShift(MAX_SHIFT) },
      context,
      details: {
        architecture: `reshape 1×28×28 → conv ${CONV1}@3×3 → relu → max-pool 2 → conv ${CONV2}@3×3 → relu → max-pool 2 → dense ${pool2.outSize}→${HIDDEN} → relu → dense ${HIDDEN}→10 → softmax`,
        augmentation: `shift ±${MAX_SHIFT} px`,
      },
    });
  },
};
