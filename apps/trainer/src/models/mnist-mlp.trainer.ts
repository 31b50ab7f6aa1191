import { createRng, MNIST_PIXELS } from '@msp/datasets';
import { DenseLayer } from '../nn/dense.layer.js';
import { initGlorotUniform, initHeNormal } from '../nn/layer.js';
import { ReluLayer } from '../nn/relu.layer.js';
import { SequentialNetwork } from '../nn/sequential.network.js';
import type { ModelTrainer, TrainContext, TrainedModel } from './model-trainer.js';
import { loadMnistData, MNIST_TASK, randomShift } from './mnist.task.js';
import { trainNetworkModel } from './network-model.builder.js';

const HIDDEN = 128;
const MAX_SHIFT = 1;

/** The fast MNIST model: one hidden layer. */
export const mnistMlpTrainer: ModelTrainer = {
  name: 'mnist-mlp',
  description: `MLP 784→${HIDDEN}→10 (ReLU) on 28×28 MNIST digits, trained with ±${MAX_SHIFT} px shifts.`,
  task: MNIST_TASK,
  gate: 0.93,
  train(context: TrainContext): TrainedModel {
    const data = loadMnistData(context);
    const rng = createRng(context.seed);
    const hidden = new DenseLayer(MNIST_PIXELS, HIDDEN, 'hidden');
    const logits = new DenseLayer(HIDDEN, 10, 'logits');
    initHeNormal(hidden.weight, MNIST_PIXELS, rng);
    initGlorotUniform(logits.weight, HIDDEN, 10, rng);
    const network = new SequentialNetwork([hidden, new ReluLayer(HIDDEN), logits]);
    return trainNetworkModel({
      name: this.name,
      description: this.description,
      task: this.task,
      network,
      rng,
      train: { inputs: data.trainImages, targets: data.trainTargets },
      test: { inputs: data.testImages, heldOut: data.heldOut },
      fit: { epochs: 15, batchSize: 32, learningRate: 0.001, finalLrFraction: 0.05, augment: randomShift(MAX_SHIFT) },
      context,
      details: { architecture: `flatten → dense 784→${HIDDEN} → relu → dense ${HIDDEN}→10 → softmax`, augmentation: `shift ±${MAX_SHIFT} px` },
    });
  },
};
