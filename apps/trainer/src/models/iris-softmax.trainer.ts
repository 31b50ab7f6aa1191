import { createRng, type Rng } from '@msp/datasets';
import { DenseLayer } from '../nn/dense.layer.js';
import { fitNetwork } from '../nn/fit-loop.js';
import { initGlorotUniform } from '../nn/layer.js';
import { SequentialNetwork } from '../nn/sequential.network.js';
import { StandardizeLayer } from '../nn/standardize.layer.js';
import { IRIS_TASK, irisTrainingSet, loadIrisData, toFloat32Rows } from './iris.task.js';
import type { ModelTrainer, Params, TrainContext, TrainedModel, Tunable } from './model-trainer.js';
import { trainNetworkModel } from './network-model.builder.js';

const DEFAULTS = { learningRate: 0.05, epochs: 150 } as const;
const DESCRIPTION = 'Softmax (multinomial logistic) regression on standardised iris features.';

function build(trainRows: readonly number[][], rng: Rng): SequentialNetwork {
  const dense = new DenseLayer(4, 3, 'logits');
  initGlorotUniform(dense.weight, 4, 3, rng);
  return new SequentialNetwork([StandardizeLayer.fit(trainRows as number[][]), dense]);
}

function fitOptions(params: Params) {
  return { epochs: Number(params['epochs']), batchSize: 16, learningRate: Number(params['learningRate']), finalLrFraction: 0.1 };
}

const tunable: Tunable = {
  defaults: DEFAULTS,
  grid: { learningRate: [0.01, 0.05, 0.1], epochs: [50, 150, 300] },
  trainingSet: irisTrainingSet,
  fitPredict(params, train, rows, seed) {
    const rng = createRng(seed);
    const network = build(train.rows, rng);
    fitNetwork(network, { inputs: toFloat32Rows(train.rows), targets: train.targets }, { ...fitOptions(params), rng });
    return network.predictProbabilities(toFloat32Rows(rows));
  },
  trainWith(params: Params, context: TrainContext): TrainedModel {
    const data = loadIrisData(context);
    const rng = createRng(context.seed);
    return trainNetworkModel({
      name: 'iris-softmax',
      description: DESCRIPTION,
      task: IRIS_TASK,
      network: build(data.trainRows, rng),
      rng,
      train: { inputs: toFloat32Rows(data.trainRows), targets: data.trainTargets },
      test: { inputs: toFloat32Rows(data.testRows), heldOut: data.heldOut },
      fit: fitOptions(params),
      context,
      details: { architecture: 'standardize → dense 4→3 → softmax' },
    });
  },
};

/** Multinomial logistic regression on standardised features. */
export const irisSoftmaxTrainer: ModelTrainer = {
  name: 'iris-softmax',
  description: DESCRIPTION,
  task: IRIS_TASK,
  gate: 0.93,
  tunable,
  train: (context) => tunable.trainWith(DEFAULTS, context),
};
