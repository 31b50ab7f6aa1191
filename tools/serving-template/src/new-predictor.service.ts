import { existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { MANIFEST_FILE, MODEL_NAMES, ModelManifestSchema, predictorUser, type ModelManifest } from '@msp/contracts';
import {
  DEPLOY_FILES,
  NATS_SECRETS_EXAMPLE,
  natsConfigFiles,
  natsPermissionSettings,
  PREDICTORS_DIR,
  runDeployChecks,
  type DeployCheckOptions,
} from '@msp/deploy-check';
import { inspectOnnx, LABEL_OUTPUT, loadModel, ONNX_FILE, PROBABILITIES_OUTPUT, sha256Hex, type OnnxDescription } from '@msp/model-runtime';
import type { NewPredictorOptions } from './cli-args.parser.js';
import { predictorKustomization, predictorServiceName, withComposeService, withK8sNatsPassword, withOverlayResource, withSecretsExampleLine } from './predictor.template.js';

/** A refusal or a failed check; the message says what to do. */
export class NewPredictorError extends Error {
  override readonly name = 'NewPredictorError';
}

/** One file the generator writes, relative to the repository root. */
export interface PlannedFile {
  path: string;
  content: string | Uint8Array;
  /** What was there before (undefined: a new file), to put back if the result fails its checks. */
  previous?: Buffer;
}

export interface NewPredictorPlan {
  manifest: ModelManifest;
  files: PlannedFile[];
}

/** The NATS StatefulSet, whose env passes every user's password to the server. */
const K8S_NATS_FILE = join(DEPLOY_FILES.k8s, 'base', 'nats', 'nats.yaml');

/**
 * Everything a new model needs to join, from the one template: `models/<n>/{model.onnx,
 * manifest.json}` (what the trainer writes), `k8s/base/predictors/<n>/`, the overlay's resource
 * line and the Compose service; and its NATS user `predictor-<n>`: the rendered nats-server
 * configs with its row, its password passed to the NATS servers of compose and k8s, and the
 * predictor connecting as it. Nothing is written here.
 */
export async function planNewPredictor(root: string, options: NewPredictorOptions, now = new Date()): Promise<NewPredictorPlan> {
  if (!existsSync(options.model)) throw new NewPredictorError(`${options.model}: no such file`);
  if ((MODEL_NAMES as readonly string[]).includes(options.name)) {
    throw new NewPredictorError(`${options.name} is one of the trainer's models (MODEL_NAMES); pick another name`);
  }
  const overlayFile = join(DEPLOY_FILES.k8s, 'overlays', options.pattern, 'kustomization.yaml');
  if (!existsSync(join(root, overlayFile))) throw new NewPredictorError(`--pattern ${options.pattern}: ${overlayFile} does not exist`);

  const composeText = readFileSync(join(root, DEPLOY_FILES.compose), 'utf8');
  const existing = [
    join('models', options.name),
    join(PREDICTORS_DIR, options.name),
  ].filter((path) => existsSync(join(root, path)));
  if (composeText.includes(`\n  ${predictorServiceName(options.name)}:`)) existing.push(`${DEPLOY_FILES.compose} services.${predictorServiceName(options.name)}`);
  if (existing.length > 0 && !options.force) {
    throw new NewPredictorError(`model ${options.name} exists (${existing.join(', ')}); pass --force to replace it`);
  }

  const onnx = new Uint8Array(readFileSync(options.model));
  const description = await inspectOnnx(onnx, options.model);
  const manifest = importedManifest(options, description, onnx, now);

  const file = (path: string, content: string | Uint8Array): PlannedFile => {
    const absolute = join(root, path);
    return { path, content, ...(existsSync(absolute) ? { previous: readFileSync(absolute) } : {}) };
  };
  const overlayText = readFileSync(join(root, overlayFile), 'utf8');
  const settings = natsPermissionSettings(root);
  const natsConfigs = natsConfigFiles(root, { ...settings, models: [...new Set([...settings.models, options.name])] });
  const files = [
    file(join('models', options.name, ONNX_FILE), onnx),
    file(join('models', options.name, MANIFEST_FILE), `${JSON.stringify(manifest, null, 2)}\n`),
    file(join(PREDICTORS_DIR, options.name, 'kustomization.yaml'), predictorKustomization(options.name)),
    file(overlayFile, withOverlayResource(overlayText, options.name, overlayFile)),
    file(DEPLOY_FILES.compose, withComposeService(composeText, options.name, options.pattern, DEPLOY_FILES.compose)),
    file(K8S_NATS_FILE, withK8sNatsPassword(readFileSync(join(root, K8S_NATS_FILE), 'utf8'), predictorUser(options.name), K8S_NATS_FILE)),
    ...Object.entries(natsConfigs).map(([path, text]) => file(path, text)),
    file(NATS_SECRETS_EXAMPLE, withSecretsExampleLine(readFileSync(join(root, NATS_SECRETS_EXAMPLE), 'utf8'), predictorUser(options.name))),
  ];
  return { manifest, files: files.filter((planned) => !planned.previous?.equals(Buffer.from(planned.content))) };
}

/** The manifest the trainer would write, with what the file cannot tell taken from flags. */
export function importedManifest(options: NewPredictorOptions, onnxDescription: OnnxDescription, onnx: Uint8Array, now: Date): ModelManifest {
  const opset = options.opset ?? onnxDescription.opset;
  if (opset === undefined) throw new NewPredictorError(`${options.model} imports no ai.onnx opset; pass --opset`);
  // The runner serves its own BYTES `label` from `probabilities` and the labels, so a graph's
  // own label output (ONNX-ML classifiers have an INT64 one) is not listed, as the trainer does.
  const outputs = onnxDescription.outputs.some((spec) => spec.name === PROBABILITIES_OUTPUT)
    ? onnxDescription.outputs.filter((spec) => spec.name !== LABEL_OUTPUT)
    : onnxDescription.outputs;
  const scores = outputs.find((spec) => spec.name === PROBABILITIES_OUTPUT) ?? outputs[0];
  const classes = scores?.shape.length === 2 ? scores.shape[1]! : -1;
  const labels = options.labels ?? defaultLabels(classes, options.model);
  if (classes > 0 && labels.length !== classes) {
    throw new NewPredictorError(`${labels.length} labels, but output '${scores!.name}' has ${classes} classes`);
  }
  const parsed = ModelManifestSchema.safeParse({
    name: options.name,
    version: options.version,
    created: now.toISOString(),
    task: 'classification',
    description: options.description ?? `imported from ${basename(options.model)}`,
    // Not trained here: no data set is known. Placeholders that satisfy the schema, marked below.
    dataset: { name: 'unknown', package: 'none', packageVersion: '0', seed: 0, trainSize: 1, testSize: 1 },
    metrics: { accuracy: options.accuracy },
    gate: { metric: 'accuracy', min: 0 },
    inputs: onnxDescription.inputs,
    outputs,
    labels,
    preprocessing: options.preprocessing,
    onnx: { file: ONNX_FILE, sha256: sha256Hex(onnx), bytes: onnx.byteLength, opset },
    training: { seconds: 0, imported: basename(options.model), ...(options.owner !== undefined ? { owner: options.owner } : {}) },
  });
  if (!parsed.success) {
    throw new NewPredictorError(`the manifest would be invalid: ${parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('; ')}`);
  }
  return parsed.data;
}

function defaultLabels(classes: number, model: string): string[] {
  if (classes < 2) throw new NewPredictorError(`${model}: the number of classes is not fixed in the graph; pass --labels (one per class of its [N, classes] scores)`);
  return Array.from({ length: classes }, (_, index) => String(index));
}

/**
 * Writes the plan, then checks the result as everything else is checked: the predictor's own
 * loader (`loadModel`: manifest schema, sha256, graph against manifest, a warm-up run) and the
 * whole of deploy-check (Compose, kubectl-rendered overlays, patterns, docs). On any failure the
 * files are put back as they were and the error lists the problems.
 */
export async function applyNewPredictor(root: string, plan: NewPredictorPlan, options: DeployCheckOptions = {}): Promise<string[]> {
  const createdDirs = [dirname(plan.files[0]!.path), join(PREDICTORS_DIR, plan.manifest.name)].filter((dir) => !existsSync(join(root, dir)));
  for (const planned of plan.files) {
    mkdirSync(dirname(join(root, planned.path)), { recursive: true });
    writeFileSync(join(root, planned.path), planned.content);
  }
  const problems: string[] = [];
  try {
    const loaded = await loadModel({ modelsDir: join(root, 'models'), name: plan.manifest.name, maxBatchRows: 1 });
    await loaded.runner.release();
  } catch (error) {
    problems.push(error instanceof Error ? error.message : String(error));
  }
  const { report } = await runDeployChecks(root, options);
  problems.push(...report.problemLines());
  if (problems.length > 0) {
    revert(root, plan, createdDirs);
    throw new NewPredictorError(`the generated ${plan.manifest.name} fails its checks (nothing was kept):\n  ${problems.join('\n  ')}`);
  }
  return report.checked;
}

function revert(root: string, plan: NewPredictorPlan, createdDirs: readonly string[]): void {
  for (const planned of plan.files) {
    if (planned.previous) writeFileSync(join(root, planned.path), planned.previous);
    else rmSync(join(root, planned.path), { force: true });
  }
  for (const dir of createdDirs) {
    try {
      rmdirSync(join(root, dir));
    } catch {
      // not empty: something else lives there
    }
  }
}
