import { IMAGE_FEATURES, imageStatistics, type ModelName, type TrainingReference } from '@msp/contracts';
import { describeDataset, loadIrisSplit, loadMnistSplit, MNIST_SIDE } from '@msp/datasets';
import { writeArtifact } from '@msp/model-runtime';
import { accuracy, maxAbsDiff, maxRowSumError } from '../evaluate/classification.metrics.js';
import { scoreWithOnnx } from '../evaluate/onnx.evaluator.js';
import type { ModelTrainer, Params, TrainContext, Tunable } from '../models/model-trainer.js';
import { trainersFor } from '../models/model.registry.js';
import { encodeOnnxModel } from '../onnx/onnx-writer.js';
import { checkArtifact } from '../release/artifact.checker.js';
import { gateAndRelease, type RegistryReleaseOptions } from '../release/registry.release.js';
import { buildManifest } from '../release/manifest.writer.js';
import { buildTrainingReference, IRIS_FEATURES } from '../release/training-reference.js';
import { formatEpoch, shouldReportEpoch } from '../report/progress.formatter.js';
import { crossValidatedAccuracy, DEFAULT_FOLDS, gridSearch } from '../search/hyper-search.js';
import type { Trial } from '@msp/contracts';
import type { ModelResult } from '../report/summary.table.js';

export interface TrainingRun {
  models: readonly ModelName[];
  missingOnly: boolean;
  modelsDir: string;
  version: string;
  seed: number;
  producerVersion: string;
  /** Train on shuffled labels: a deliberately bad model for the gate to refuse. */
  shuffleLabels?: boolean;
  /** With `registry`: search the trainer's grid with k-fold cross-validation and release the best configuration. */
  search?: boolean;
  /** Set: gate against the serving version, register and release (`--model`); models/ is not written. */
  registry?: RegistryReleaseOptions;
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
  const context: TrainContext = {
    seed: run.seed,
    producerVersion: run.producerVersion,
    ...(run.shuffleLabels ? { shuffleLabels: true } : {}),
    onEpoch: (stats) => {
      if (shouldReportEpoch(stats)) run.log(formatEpoch(trainer.name, stats));
    },
  };
  if (run.search && !trainer.tunable) {
    throw new Error(`--search is for the models that train in milliseconds (the iris models); ${trainer.name} has no search space`);
  }
  // Released through the registry, a tunable model is gated on cross-validated accuracy.
  const tuning = run.registry && trainer.tunable ? tune(trainer, trainer.tunable, context, run) : undefined;
  run.log(`[${trainer.name}] training: ${tuning ? `with ${formatParams(tuning.params)}` : trainer.description}`);
  const trained = tuning ? trainer.tunable!.trainWith(tuning.params, context) : trainer.train(context);
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
  const parityProblem =
    diff > PARITY_TOLERANCE || rowSumError > PARITY_TOLERANCE
      ? `ONNX output differs from the trained model (max |Δp| ${diff.toExponential(2)}, max |row sum - 1| ${rowSumError.toExponential(2)}, tolerance ${PARITY_TOLERANCE})`
      : undefined;
  const metrics = { accuracy: heldOutAccuracy, maxAbsDiffVsTrainer: diff, ...(tuning ? { cvAccuracy: tuning.crossValidated.accuracy } : {}) };
  const manifest = (): ReturnType<typeof buildManifest> =>
    buildManifest({
      trainer,
      trained,
      version: run.version,
      seed: run.seed,
      dataset: describeDataset(trainer.task.dataset),
      onnx,
      metrics,
      trainingSeconds,
      // The training split's distribution, what drift is measured against: of the feature columns
      // (iris), or of each digit's ink and centre of mass (MNIST).
      reference: trainer.task.dataset === 'iris' ? irisReference(run.seed, trainer.task.labels.length) : mnistReference(run.seed, trainer.task.labels.length),
    });

  if (run.registry) {
    const measure = tuning ? 'cross-validated accuracy' : 'held-out accuracy';
    run.log(`[${trainer.name}] gate: ${measure} ≥ ${trainer.gate} and not worse than the serving version on the same held-out rows`);
    const { record, verdict } = await gateAndRelease(
      {
        manifest: manifest(),
        onnx,
        heldOut: trained.heldOut,
        threshold: trainer.gate,
        accuracy: heldOutAccuracy,
        metrics,
        ...(parityProblem ? { parityProblem } : {}),
        ...(tuning ? { crossValidated: tuning.crossValidated } : {}),
        ...(tuning?.trials ? { trials: tuning.trials } : {}),
      },
      run.registry,
    );
    const outcome = verdict.pass ? `registered as ${record.name} v${record.version}, ${record.status}` : `REFUSED, registered as ${record.name} v${record.version} rejected`;
    run.log(`[${trainer.name}] ${outcome}: ${verdict.reason}`);
    return { ...base, status: verdict.pass ? 'pass' : 'fail', seconds: seconds(), note: `v${record.version} ${record.status}: ${verdict.reason}` };
  }
  if (parityProblem) {
    return { ...base, status: 'fail', seconds: seconds(), note: 'ONNX output differs from the trained model; not written' };
  }
  if (heldOutAccuracy < trainer.gate) {
    return { ...base, status: 'fail', seconds: seconds(), note: 'below gate; not written' };
  }
  const written = manifest();
  const dir = await writeArtifact(run.modelsDir, written, onnx);
  run.log(`[${trainer.name}] wrote ${dir} (${onnx.length} bytes, sha256 ${written.onnx.sha256.slice(0, 12)}…)`);
  return { ...base, status: 'pass', seconds: seconds() };
}

interface Tuning {
  params: Params;
  crossValidated: { accuracy: number; folds: number; rows: number };
  /** Every configuration tried, when a search ran. */
  trials?: Trial[];
}

/** The defaults' cross-validated accuracy, or (`--search`) the grid's best configuration and every trial. */
function tune(trainer: ModelTrainer, tunable: Tunable, context: TrainContext, run: TrainingRun): Tuning {
  const data = tunable.trainingSet(context);
  const cv = { rows: data.rows, targets: data.targets, classes: trainer.task.labels.length, folds: DEFAULT_FOLDS, seed: run.seed };
  const scored = (accuracy: number) => ({ accuracy, folds: cv.folds, rows: cv.rows.length });
  if (!run.search) {
    const accuracy = crossValidatedAccuracy(tunable, tunable.defaults, cv);
    run.log(`[${trainer.name}] ${cv.folds}-fold cross-validated accuracy of ${formatParams(tunable.defaults)}: ${accuracy.toFixed(4)}`);
    return { params: tunable.defaults, crossValidated: scored(accuracy) };
  }
  run.log(`[${trainer.name}] search: grid ${formatGrid(tunable.grid)}, ${cv.folds}-fold cross-validation on ${cv.rows.length} training rows`);
  const result = gridSearch(tunable, cv, (trial, index, total) =>
    run.log(`[${trainer.name}] trial ${index + 1}/${total} ${formatParams(trial.params)}: cv accuracy ${trial.score.toFixed(4)}`),
  );
  run.log(`[${trainer.name}] best of ${result.trials.length}: ${formatParams(result.best)} (cv accuracy ${result.bestScore.toFixed(4)})`);
  return { params: result.best, crossValidated: scored(result.bestScore), trials: result.trials };
}

function formatParams(params: Readonly<Record<string, number | string | boolean>>): string {
  return Object.entries(params).map(([key, value]) => `${key}=${value}`).join(' ');
}

function formatGrid(grid: Tunable['grid']): string {
  return Object.entries(grid).map(([key, values]) => `${key}∈{${values.join(',')}}`).join(' ');
}

function irisReference(seed: number, classes: number): TrainingReference {
  const { train } = loadIrisSplit(seed);
  return buildTrainingReference(train.features, train.targets, IRIS_FEATURES, classes);
}

function mnistReference(seed: number, classes: number): TrainingReference {
  const { train } = loadMnistSplit(seed);
  const statistics = train.images.map((pixels) => imageStatistics(pixels, MNIST_SIDE));
  return { input: 'image', ...buildTrainingReference(statistics, train.targets, IMAGE_FEATURES, classes) };
}
