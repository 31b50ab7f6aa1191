import type { ModelName } from '@msp/contracts';
import type { DatasetName } from '@msp/datasets';
import type { OnnxBatch } from '../evaluate/onnx.evaluator.js';
import type { EpochStats } from '../nn/fit-loop.js';
import type { OnnxModel } from '../onnx/onnx-model.types.js';

/** What a data set means to a served model: its input contract and its classes. */
export interface TaskSpec {
  dataset: DatasetName;
  /** Named input convention the predictor and preprocess rely on. */
  preprocessing: 'iris-features-cm' | 'mnist-digit-v1';
  /** Input shape without the batch axis. */
  inputShape: readonly number[];
  labels: readonly string[];
}

/** The held-out split as the exported model will be fed it. */
export interface HeldOutSet {
  batch: OnnxBatch;
  targets: readonly number[];
}

export interface TrainContext {
  seed: number;
  /**
   * Permutes the training targets (never the held-out ones): a deliberately bad model, to
   * show the evaluation gate refusing a release.
   */
  shuffleLabels?: boolean;
  producerVersion: string;
  onEpoch: (stats: EpochStats) => void;
}

export interface TrainedModel {
  onnx: OnnxModel;
  heldOut: HeldOutSet;
  /** The trainer's own model on the held-out rows, flat [rows, classes]: ONNX must match it. */
  ownProbabilities: Float32Array;
  trainSize: number;
  epochs?: number;
  /** Hyper-parameters and architecture, recorded under the manifest's `training`. */
  details: Record<string, unknown>;
  /** The manifest's description when the parameters differ from the trainer's defaults. */
  description?: string;
}

export type ParamValue = number | string;
export type Params = Readonly<Record<string, ParamValue>>;

/**
 * A trainer whose hyper-parameters (and architecture) can be searched and cross-validated:
 * the models that train in milliseconds (iris). `train()` is `trainWith(defaults)`.
 */
export interface Tunable {
  defaults: Params;
  /** The search space: every combination is one trial. */
  grid: Readonly<Record<string, readonly ParamValue[]>>;
  /** The training rows (with shuffled labels when asked), for cross-validation. */
  trainingSet(context: TrainContext): { rows: number[][]; targets: number[] };
  /** Fits on `train` and returns the probabilities of `rows` (flat [rows, classes]). */
  fitPredict(params: Params, train: { rows: readonly number[][]; targets: readonly number[] }, rows: readonly number[][], seed: number): Float32Array;
  trainWith(params: Params, context: TrainContext): TrainedModel;
}

export interface ModelTrainer {
  readonly name: ModelName;
  readonly description: string;
  readonly task: TaskSpec;
  /** Minimum accuracy for a release (cross-validated where the trainer is tunable and released through the registry). */
  readonly gate: number;
  train(context: TrainContext): TrainedModel;
  readonly tunable?: Tunable;
}
