import { createHash } from 'node:crypto';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ModelManifest } from '@msp/contracts';
import { MANIFEST_FILE, ModelManifestSchema } from '@msp/contracts';
import type { DatasetInfo } from '@msp/datasets';
import { ONNX_OPSET } from '../onnx/graph.builder.js';
import { INPUT_NAME, PROBABILITIES_NAME } from '../onnx/network.exporter.js';
import type { ModelTrainer, TrainedModel } from '../models/model-trainer.js';

export const ONNX_FILE = 'model.onnx';

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
}

export function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The manifest for a trained model, validated against the shared schema. */
export function buildManifest(input: ManifestInput): ModelManifest {
  const { trainer, trained } = input;
  const classes = trainer.task.labels.length;
  return ModelManifestSchema.parse({
    name: trainer.name,
    version: input.version,
    created: (input.created ?? new Date()).toISOString(),
    task: 'classification',
    description: trainer.description,
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

/**
 * Writes `<dir>/<name>/model.onnx` then `manifest.json`, each via a temporary file and a
 * rename, so a reader never sees a half-written file nor a manifest ahead of its model.
 */
export async function writeArtifact(modelsDir: string, manifest: ModelManifest, onnx: Uint8Array): Promise<string> {
  const dir = join(modelsDir, manifest.name);
  await mkdir(dir, { recursive: true });
  await writeAtomically(join(dir, manifest.onnx.file), onnx);
  await writeAtomically(join(dir, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`);
  return dir;
}

async function writeAtomically(path: string, content: Uint8Array | string): Promise<void> {
  const temporary = `${path}.${process.pid}.tmp`;
  await writeFile(temporary, content);
  await rename(temporary, path);
}
