import type { ModelName } from '@msp/contracts';
import { MODEL_NAMES } from '@msp/contracts';
import { irisMlpTrainer } from './iris-mlp.trainer.js';
import { irisSoftmaxTrainer } from './iris-softmax.trainer.js';
import { irisTreesTrainer } from './iris-trees.trainer.js';
import type { ModelTrainer } from './model-trainer.js';
import { mnistCnnTrainer } from './mnist-cnn.trainer.js';
import { mnistMlpTrainer } from './mnist-mlp.trainer.js';

const TRAINERS: Record<ModelName, ModelTrainer> = {
  'iris-softmax': irisSoftmaxTrainer,
  'iris-mlp': irisMlpTrainer,
  'iris-trees': irisTreesTrainer,
  'mnist-mlp': mnistMlpTrainer,
  'mnist-cnn': mnistCnnTrainer,
};

/** Trainers for the given models, in the catalogue's order. */
export function trainersFor(names: readonly ModelName[]): ModelTrainer[] {
  return MODEL_NAMES.filter((name) => names.includes(name)).map((name) => TRAINERS[name]);
}
