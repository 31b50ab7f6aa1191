import { createHash } from 'node:crypto';
import { basename, join, resolve } from 'node:path';
import { InferenceSession } from 'onnxruntime-node';
import { MANIFEST_FILE, ModelManifestSchema, type ModelManifest, type TensorSpec } from '@msp/contracts';
import { LABEL_OUTPUT } from './label.output.js';
import { ModelFilesRepository } from './model-files.repository.js';
import { ModelLoadError } from './model-load.error.js';
import { ModelRunner, type ModelRunnerOptions } from './model.runner.js';
import { datatypeOfOrtType } from './ort-tensor.codec.js';

/** How the runner runs: rows per request, dynamic batching. */
export interface LoadModelOptions extends ModelRunnerOptions {
  /** The directory holding one folder per model (`<modelsDir>/<name>/manifest.json`). */
  modelsDir: string;
  name: string;
  files?: ModelFilesRepository;
}

/** A model ready to serve, with what a predictor logs about it at start. */
export interface LoadedModel {
  runner: ModelRunner;
  manifest: ModelManifest;
  manifestPath: string;
  onnxPath: string;
  sha256: string;
  bytes: number;
  /** The verified ONNX bytes the session was made from (edge prediction serves the same file). */
  onnx: Uint8Array;
  /** Reading, verifying and creating the session, in ms. */
  loadMs: number;
  /** The first (zero-row) inference, in ms. */
  warmUpMs: number;
}

/**
 * Reads `<modelsDir>/<name>/manifest.json`, validates it, reads the ONNX file it names and
 * refuses it unless its SHA-256 matches the manifest, creates a single-threaded CPU session
 * (a predictor scales with processes, DESIGN §7), checks the graph against the manifest and
 * warms it up with one zero row. Every failure is a ModelLoadError naming the file at fault.
 */
export async function loadModel(options: LoadModelOptions): Promise<LoadedModel> {
  const started = performance.now();
  const files = options.files ?? new ModelFilesRepository();
  const dir = resolve(options.modelsDir, options.name);
  const manifestPath = join(dir, MANIFEST_FILE);
  const manifest = parseManifest(await files.readText(manifestPath, `model '${options.name}': manifest`), manifestPath);
  if (manifest.name !== options.name) {
    throw new ModelLoadError(
      `${manifestPath} describes model '${manifest.name}', but it sits in the folder of '${options.name}'`,
      manifestPath,
    );
  }
  if (basename(manifest.onnx.file) !== manifest.onnx.file) {
    throw new ModelLoadError(
      `${manifestPath}: onnx.file must be a file name inside the model folder, not '${manifest.onnx.file}'`,
      manifestPath,
    );
  }
  const onnxPath = join(dir, manifest.onnx.file);
  const bytes = await files.readBytes(onnxPath, `model '${options.name}': ONNX file`);
  const loaded = await loadModelFromArtefact({
    manifest,
    onnx: bytes,
    ...runnerOptions(options),
    onnxPath,
    manifestPath,
  });
  return { ...loaded, loadMs: performance.now() - started - loaded.warmUpMs };
}

export interface LoadArtefactOptions extends ModelRunnerOptions {
  manifest: ModelManifest;
  onnx: Uint8Array;
  /** Where the bytes came from, for messages and logs (a file, or a registry object). */
  onnxPath: string;
  manifestPath: string;
}

/**
 * The part of loading shared by a model on disk and one fetched from the registry: refuses
 * bytes whose SHA-256 differs from the manifest's, creates the session, checks the graph
 * against the manifest and warms it up.
 */
export async function loadModelFromArtefact(options: LoadArtefactOptions): Promise<LoadedModel> {
  const started = performance.now();
  const { manifest, onnx: bytes, onnxPath, manifestPath } = options;
  const sha256 = createHash('sha256').update(bytes).digest('hex');
  if (sha256 !== manifest.onnx.sha256) {
    throw new ModelLoadError(
      `${onnxPath} does not match its manifest: its sha256 is ${sha256} (${bytes.byteLength} bytes), ` +
        `${manifestPath} says ${manifest.onnx.sha256} (${manifest.onnx.bytes} bytes); refusing to serve it`,
      onnxPath,
    );
  }
  const session = await createSession(bytes, onnxPath);
  try {
    checkGraphAgainstManifest(session, manifest, onnxPath, manifestPath);
    const runner = new ModelRunner(session, manifest, runnerOptions(options));
    const loadMs = performance.now() - started;
    let warmUpMs: number;
    try {
      warmUpMs = await runner.warmUp();
    } catch (error) {
      throw new ModelLoadError(`${onnxPath} failed its warm-up run: ${messageOf(error)}`, onnxPath, { cause: error });
    }
    return { runner, manifest, manifestPath, onnxPath, sha256, bytes: bytes.byteLength, onnx: bytes, loadMs, warmUpMs };
  } catch (error) {
    await session.release().catch(() => undefined);
    throw error;
  }
}

/** Validates manifest JSON; the error lists every problem with its path in the file. */
export function parseManifest(text: string, manifestPath: string): ModelManifest {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new ModelLoadError(`${manifestPath} is not valid JSON: ${messageOf(error)}`, manifestPath, { cause: error });
  }
  const parsed = ModelManifestSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`);
    throw new ModelLoadError(`${manifestPath} is not a valid model manifest: ${problems.join('; ')}`, manifestPath, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}

function runnerOptions(options: ModelRunnerOptions): ModelRunnerOptions {
  return {
    maxBatchRows: options.maxBatchRows,
    ...(options.dynamicBatchRows === undefined ? {} : { dynamicBatchRows: options.dynamicBatchRows }),
    ...(options.onBatch === undefined ? {} : { onBatch: options.onBatch }),
  };
}

async function createSession(bytes: Uint8Array, onnxPath: string): Promise<InferenceSession> {
  try {
    return await InferenceSession.create(bytes, {
      executionProviders: ['cpu'],
      intraOpNumThreads: 1,
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: 'all',
    });
  } catch (error) {
    throw new ModelLoadError(`${onnxPath} cannot be loaded by onnxruntime: ${messageOf(error)}`, onnxPath, {
      cause: error,
    });
  }
}

/** The manifest is what clients see, so it must describe the graph exactly where it speaks. */
function checkGraphAgainstManifest(
  session: InferenceSession,
  manifest: ModelManifest,
  onnxPath: string,
  manifestPath: string,
): void {
  const problems: string[] = [];
  const declaredInputs = manifest.inputs.map((spec) => spec.name).sort();
  const graphInputs = [...session.inputNames].sort();
  if (declaredInputs.join('\n') !== graphInputs.join('\n')) {
    problems.push(`inputs are [${declaredInputs.join(', ')}] in the manifest but [${graphInputs.join(', ')}] in the graph`);
  }
  for (const spec of manifest.inputs) {
    const index = session.inputNames.indexOf(spec.name);
    if (index !== -1) problems.push(...specProblems('input', spec, session.inputMetadata[index]));
  }
  for (const spec of manifest.outputs) {
    if (spec.name === LABEL_OUTPUT) continue; // replaced by the runner's BYTES label
    const index = session.outputNames.indexOf(spec.name);
    if (index === -1) {
      problems.push(`output '${spec.name}' is not in the graph (it has ${session.outputNames.join(', ')})`);
    } else {
      problems.push(...specProblems('output', spec, session.outputMetadata[index]));
    }
  }
  if (problems.length > 0) {
    throw new ModelLoadError(`${manifestPath} does not match ${onnxPath}: ${problems.join('; ')}`, manifestPath);
  }
}

function specProblems(kind: string, spec: TensorSpec, metadata: InferenceSession.ValueMetadata | undefined): string[] {
  if (!metadata) return [];
  if (!metadata.isTensor) return [`${kind} '${spec.name}' is not a tensor in the graph`];
  const problems: string[] = [];
  const datatype = datatypeOfOrtType(metadata.type);
  if (datatype !== spec.datatype) {
    problems.push(`${kind} '${spec.name}' is ${spec.datatype} in the manifest but ${metadata.type} in the graph`);
  }
  const graphShape = metadata.shape;
  const fits =
    graphShape.length === spec.shape.length &&
    spec.shape.every((dim, axis) => {
      const graphDim = graphShape[axis];
      if (typeof graphDim !== 'number' || graphDim < 0) return true; // symbolic or unknown in the graph
      return dim === graphDim; // a fixed graph axis cannot take "any size"
    });
  if (!fits) {
    problems.push(
      `${kind} '${spec.name}' has shape [${spec.shape.join(',')}] in the manifest but [${graphShape.join(',')}] in the graph`,
    );
  }
  return problems;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
