import type { Rng } from '@msp/datasets';
import { fitNetwork } from '../nn/fit-loop.js';
import type { FitOptions } from '../nn/fit-loop.js';
import type { SequentialNetwork } from '../nn/sequential.network.js';
import { exportNetwork } from '../onnx/network.exporter.js';
import type { HeldOutSet, TaskSpec, TrainContext, TrainedModel } from './model-trainer.js';

export interface NetworkModelInput {
  name: string;
  description: string;
  task: TaskSpec;
  network: SequentialNetwork;
  rng: Rng;
  train: { inputs: readonly Float32Array[]; targets: readonly number[] };
  test: { inputs: readonly Float32Array[]; heldOut: HeldOutSet };
  fit: Omit<FitOptions, 'rng' | 'onEpoch'>;
  context: TrainContext;
  details: Record<string, unknown>;
}

/** Fits a network, then exports it and scores our own copy on the held-out rows. */
export function trainNetworkModel(input: NetworkModelInput): TrainedModel {
  const { network, fit, context } = input;
  fitNetwork(network, input.train, { ...fit, rng: input.rng, onEpoch: context.onEpoch });
  return {
    onnx: exportNetwork(network, {
      graphName: input.name,
      inputShape: input.task.inputShape,
      producerVersion: context.producerVersion,
      docString: input.description,
    }),
    heldOut: input.test.heldOut,
    ownProbabilities: network.predictProbabilities(input.test.inputs),
    trainSize: input.train.inputs.length,
    description: input.description,
    epochs: fit.epochs,
    details: {
      ...input.details,
      optimizer: 'adam',
      learningRate: fit.learningRate,
      ...(fit.finalLrFraction !== undefined ? { learningRateSchedule: `cosine to ${fit.finalLrFraction}×` } : {}),
      batchSize: fit.batchSize,
      parameters: network.params.reduce((sum, p) => sum + p.value.length, 0),
    },
  };
}
