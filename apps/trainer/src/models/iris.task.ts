import { IRIS_LABELS } from '@msp/contracts';
import { loadIrisSplit } from '@msp/datasets';
import { shuffledTargets } from './shuffled-targets.js';
import type { HeldOutSet, TaskSpec, TrainContext } from './model-trainer.js';

export const IRIS_TASK: TaskSpec = {
  dataset: 'iris',
  preprocessing: 'iris-features-cm',
  inputShape: [4],
  labels: IRIS_LABELS,
};

export interface IrisData {
  trainRows: number[][];
  trainTargets: number[];
  testRows: number[][];
  heldOut: HeldOutSet;
}

export function loadIrisData({ seed, shuffleLabels }: Pick<TrainContext, 'seed' | 'shuffleLabels'>): IrisData {
  const split = loadIrisSplit(seed);
  // Targets index the data set's class order; the served labels must be the same list.
  if (split.labels.join() !== IRIS_LABELS.join()) {
    throw new Error(`iris classes [${split.labels.join(', ')}] differ from IRIS_LABELS`);
  }
  return {
    trainRows: split.train.features,
    trainTargets: shuffleLabels ? shuffledTargets(split.train.targets, seed) : split.train.targets,
    testRows: split.test.features,
    heldOut: {
      batch: { data: Float32Array.from(split.test.features.flat()), dims: [split.test.features.length, 4] },
      targets: split.test.targets,
    },
  };
}

/** Rows as the network consumes them (float32, like the served input). */
export function toFloat32Rows(rows: readonly (readonly number[])[]): Float32Array[] {
  return rows.map((row) => Float32Array.from(row));
}

/** The training rows alone (labels shuffled when asked): what a search cross-validates on. */
export function irisTrainingSet(context: Pick<TrainContext, 'seed' | 'shuffleLabels'>): { rows: number[][]; targets: number[] } {
  const data = loadIrisData(context);
  return { rows: data.trainRows, targets: data.trainTargets };
}
