import { createRng } from '@msp/datasets';
import { DenseLayer } from '../nn/dense.layer.js';
import { initGlorotUniform } from '../nn/layer.js';
import { SequentialNetwork } from '../nn/sequential.network.js';
import { StandardizeLayer } from '../nn/standardize.layer.js';
import { IRIS_TASK, loadIrisData, toFloat32Rows } from './iris.task.js';
import type { ModelTrainer, TrainContext, TrainedModel } from './model-trainer.js';
import { trainNetworkModel } from './network-model.builder.js';

/** Multinomial logistic regression on standardised features. */
export const irisSoftmaxTrainer: ModelTrainer = {
  name: 'iris-softmax',
  description: 'Softmax (multinomial logistic) regression on standardised iris features.',
  task: IRIS_TASK,
  gate: 0.93,
  train(context: TrainContext): TrainedModel {
    const data = loadIrisData(context);
    const rng = createRng(context.seed);
    const dense = new DenseLayer(4, 3, 'logits');
    initGlorotUniform(dense.weight, 4, 3, rng);
    const network = new SequentialNetwork([StandardizeLayer.fit(data.trainRows), dense]);
    return trainNetworkModel({
      name: this.name,
      description: this.description,
      task: this.task,
      network,
      rng,
      train: { inputs: toFloat32Rows(data.trainRows), targets: data.trainTargets },
      test: { inputs: toFloat32Rows(data.testRows), heldOut: data.heldOut },
      fit: { epochs: 150, batchSize: 16, learningRate: 0.05, finalLrFraction: 0.1 },
      context,
      details: { architecture: 'standardize → dense 4→3 → softmax' },
    });
  },
};
