import type { ModelName, TrainingReference } from '@msp/contracts';
import { describeDataset, loadIrisSplit } from '@msp/datasets';
import { writeArtifact } from '@msp/model-runtime';
import { accuracy, maxAbsDiff, maxRowSumError } from '../evaluate/classification.metrics.js';
import { scoreWithOnnx } from '../evaluate/onnx.evaluator.js';
import type { ModelTrainer } from '../models/model-trainer.js';
import { trainersFor } from '../models/model.registry.js';
import { encodeOnnxModel } from '../onnx/onnx-writer.js';
import { checkArtifact } from '../release/artifact.checker.js';
import { buildManifest } from '../release/manifest.writer.js';
import { buildTrainingReference, IRIS_FEATURES } from '../release/training-reference.js';
import { formatEpoch, shouldReportEpoch } from '../report/progress.formatter.js';
import type { ModelResult } from '../report/summary.table.js';

export interface TrainingRun {
  models: readonly ModelName[];
  missingOnly: boolean;
  modelsDir: string;
  version: string;
  seed: number;
  producerVersion: string;
  log: (line: string) => void;
}

/**
 * The exported model may differ from our own forward pass only by float rounding; more
 * means the export is wrong, and the release is refused like a failed gate.
 */
export const PARITY_TOLERANCE = 1e-4;

/** Trains each model in turn; a failure is recorded and the next model still runs. */
export async function runTraining(run: TrainingRun): Promise<ModelResult[]> {
  const results: ModelResult[] = [];
  for (const trainer of trainersFor(run.models)) {
    const started = performance.now();
    if (run.missingOnly) {
      const state = await checkArtifact(run.modelsDir, trainer.name);
      if (state.ok) {
        run.log(`[${trainer.name}] release on disk is intact: skipped (--missing)`);
        results.push({ name: trainer.name, status: 'skipped', gate: trainer.gate, seconds: 0, note: 'intact on disk' });
        continue;
      }
      run.log(`[${trainer.name}] ${state.reason}: training`);
    }
    try {
      results.push(await trainOne(trainer, run, started));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      run.log(`[${trainer.name}] ERROR ${message}`);
      results.push({
        name: trainer.name,
        status: 'error',
        gate: trainer.gate,
        seconds: (performance.now() - started) / 1000,
        note: message,
      });
    }
  }
  return results;
}

async function trainOne(trainer: ModelTrainer, run: TrainingRun, started: number): Promise<ModelResult> {
  run.log(`[${trainer.name}] training: ${trainer.description}`);
  const trained = trainer.train({
    seed: run.seed,
    producerVersion: run.producerVersion,
    onEpoch: (stats) => {
      if (shouldReportEpoch(stats)) run.log(formatEpoch(trainer.name, stats));
    },
  });
  const trainingSeconds = (performance.now() - started) / 1000;

  const onnx = encodeOnnxModel(trained.onnx);
  const scores = await scoreWithOnnx(onnx, trained.heldOut.batch);
  if (scores.classes !== trainer.task.labels.length) {
    throw new Error(`ONNX gives ${scores.classes} classes, the task has ${trainer.task.labels.length}`);
  }
  const heldOutAccuracy = accuracy(scores.probabilities, scores.classes, trained.heldOut.targets);
  const diff = maxAbsDiff(scores.probabilities, trained.ownProbabilities);
  const rowSumError = maxRowSumError(scores.probabilities, scores.classes);
  run.log(
    `[${trainer.name}] onnxruntime on ${trained.heldOut.targets.length} held-out rows: accuracy ${heldOutAccuracy.toFixed(4)}, ` +
      `max |p_onnx - p_js| ${diff.toExponential(2)}, max |row sum - 1| ${rowSumError.toExponential(2)}`,
  );

  const base = { name: trainer.name, gate: trainer.gate, accuracy: heldOutAccuracy, maxAbsDiff: diff };
  const seconds = (): number => (performance.now() - started) / 1000;
  if (diff > PARITY_TOLERANCE || rowSumError > PARITY_TOLERANCE) {
    return { ...base, status: 'fail', seconds: seconds(), note: 'ONNX output differs from the trained model; not written' };
  }
  if (heldOutAccuracy < trainer.gate) {
    return { ...base, status: 'fail', seconds: seconds(), note: 'below gate; not written' };
  }

  const manifest = buildManifest({
    trainer,
    trained,
    version: run.version,
    seed: run.seed,
    dataset: describeDataset(trainer.task.dataset),
    onnx,
    metrics: { accuracy: heldOutAccuracy, maxAbsDiffVsTrainer: diff },
    trainingSeconds,
    // Tabular models: the training split's feature distribution, what drift is measured against.
    ...(trainer.task.dataset === 'iris' ? { reference: irisReference(run.seed, trainer.task.labels.length) } : {}),
  });
  const dir = await writeArtifact(run.modelsDir, manifest, onnx);
  run.log(`[${trainer.name}] wrote ${dir} (${onnx.length} bytes, sha256 ${manifest.onnx.sha256.slice(0, 12)}…)`);
  return { ...base, status: 'pass', seconds: seconds() };
}

function irisReference(seed: number, classes: number): TrainingReference {
  const { train } = loadIrisSplit(seed);
  return buildTrainingReference(train.features, train.targets, IRIS_FEATURES, classes);
}
