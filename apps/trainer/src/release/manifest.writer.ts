import type { ModelManifest, TrainingReference } from '@msp/contracts';
import { ModelManifestSchema } from '@msp/contracts';
import type { DatasetInfo } from '@msp/datasets';
import { ONNX_FILE, sha256Hex } from '@msp/model-runtime';
import { ONNX_OPSET } from '../onnx/graph.builder.js';
import { INPUT_NAME, PROBABILITIES_NAME } from '../onnx/network.exporter.js';
import type { ModelTrainer, TrainedModel } from '../models/model-trainer.js';

export interface ManifestInput {
  trainer: ModelTrainer;
  trained: TrainedModel;
  version: string;
  seed: number;
  dataset: DatasetInfo;
  onnx: Uint8Array;
  metrics: { accuracy: number } & Record<string, number>;
  trainingSeconds: number;
  created?: Date;
  /** The training data's distribution (tabular models), for prediction monitoring. */
  reference?: TrainingReference;
}

/** Who answers for the models this trainer releases (the manifest's `owner`). */
export const MODEL_OWNER = 'ml-serving-patterns maintainers (apps/trainer)';

/** The manifest for a trained model, validated against the shared schema. */
export function buildManifest(input: ManifestInput): ModelManifest {
  const { trainer, trained } = input;
  const classes = trainer.task.labels.length;
  return ModelManifestSchema.parse({
    name: trainer.name,
    version: input.version,
    created: (input.created ?? new Date()).toISOString(),
    task: 'classification',
    description: trained.description ?? trainer.description,
    owner: MODEL_OWNER,
    ...(input.reference ? { reference: input.reference } : {}),
    dataset: {
      name: input.dataset.name,
      package: input.dataset.package,
      packageVersion: input.dataset.packageVersion,
      seed: input.seed,
      trainSize: trained.trainSize,
      testSize: trained.heldOut.targets.length,
    },
    metrics: input.metrics,
    gate: { metric: 'accuracy', min: trainer.gate },
    inputs: [{ name: INPUT_NAME, datatype: 'FP32', shape: [-1, ...trainer.task.inputShape] }],
    outputs: [{ name: PROBABILITIES_NAME, datatype: 'FP32', shape: [-1, classes] }],
    labels: [...trainer.task.labels],
    preprocessing: trainer.task.preprocessing,
    onnx: { file: ONNX_FILE, sha256: sha256Hex(input.onnx), bytes: input.onnx.length, opset: ONNX_OPSET },
    training: {
      seconds: Math.round(input.trainingSeconds * 100) / 100,
      ...(trained.epochs !== undefined ? { epochs: trained.epochs } : {}),
      ...trained.details,
    },
  });
}
