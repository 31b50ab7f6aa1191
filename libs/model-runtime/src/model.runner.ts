import type { InferenceSession, Tensor } from 'onnxruntime-node';
import {
  checkAgainstModel,
  elementCount,
  MspError,
  type InferRequest,
  type InferTensor,
  type ModelManifest,
  type ModelMetadata,
  type PredictorModel,
  type TensorData,
  type TensorSpec,
  type WireInferRequest,
  type WireTensor,
} from '@msp/contracts';
import { LABEL_OUTPUT, LABEL_SPEC, labelsFromProbabilities, PROBABILITIES_OUTPUT } from './label.output.js';
import { fromOrtTensor, toOrtTensor } from './ort-tensor.codec.js';

export const ONNX_PLATFORM = 'onnxruntime';

export interface ModelRunnerOptions {
  /** Largest batch (rows on the batch axis) one request may carry. */
  maxBatchRows: number;
}

/** What a runner needs from an onnxruntime session (the real one, or a fake in a test). */
export type OnnxSession = Pick<InferenceSession, 'run' | 'release' | 'inputNames' | 'outputNames'>;

/**
 * Runs one loaded model. Requests are checked against the manifest before anything runs, so
 * every client mistake is a 400 naming the input; what the session then fails on is a 500.
 */
export class ModelRunner {
  readonly name: string;
  readonly version: string;
  /** The model in OIP shape, as `GET /v2/models/{m}` answers it. */
  readonly metadata: ModelMetadata;
  /** What the predictor advertises in its micro service info. */
  readonly predictorModel: PredictorModel;
  /** Whether the runner adds the `label` output (the model has `probabilities`). */
  readonly isClassifier: boolean;
  private readonly outputNames: string[];

  constructor(
    private readonly session: OnnxSession,
    readonly manifest: ModelManifest,
    private readonly options: ModelRunnerOptions,
  ) {
    this.name = manifest.name;
    this.version = manifest.version;
    // A graph's own `label` output (e.g. a tree ensemble's INT64 class index) is replaced by the
    // BYTES label every classifier serves, so all models of a task answer alike.
    const declared = manifest.outputs.filter((spec) => spec.name !== LABEL_OUTPUT);
    this.isClassifier = declared.some((spec) => spec.name === PROBABILITIES_OUTPUT);
    const outputs: TensorSpec[] = this.isClassifier ? [...declared, LABEL_SPEC] : declared;
    this.outputNames = outputs.map((spec) => spec.name);
    this.metadata = {
      name: manifest.name,
      versions: [manifest.version],
      platform: ONNX_PLATFORM,
      inputs: manifest.inputs,
      outputs,
      parameters: {
        ...(manifest.labels === undefined ? {} : { labels: manifest.labels }),
        ...(manifest.owner === undefined ? {} : { owner: manifest.owner }),
        ...(manifest.description === undefined ? {} : { description: manifest.description }),
      },
    };
    this.predictorModel = {
      model: manifest.name,
      version: manifest.version,
      platform: ONNX_PLATFORM,
      inputs: manifest.inputs,
      outputs,
      labels: manifest.labels,
      // Who owns it and what it was trained on: for the monitor ("nobody knows" is an anti-pattern).
      owner: manifest.owner,
      description: manifest.description,
      reference: manifest.reference,
    };
  }

  get maxBatchRows(): number {
    return this.options.maxBatchRows;
  }

  /**
   * Runs a request parsed by `parseInferRequest` (JSON) or decoded from a binary body (whose
   * numbers may already be the typed arrays ORT takes). Checks it against the model — the one
   * check a predictor makes: names, datatypes, shapes, batch size, outputs. Returns the requested
   * outputs (all of them when the request names none), flat, with their shapes, in the order requested.
   */
  async infer(request: InferRequest | WireInferRequest): Promise<InferTensor[]> {
    checkAgainstModel(request, this.metadata);
    this.checkBatch(request);
    const requested = [...new Set(request.outputs?.map((output) => output.name) ?? this.outputNames)];
    return this.run(request.inputs, requested);
  }

  /** One zero row through every output, so the first request does not pay for lazy setup. Returns ms. */
  async warmUp(): Promise<number> {
    const inputs = this.manifest.inputs.map(zeroRow);
    const started = performance.now();
    const outputs = await this.run(inputs, this.outputNames);
    const elapsed = performance.now() - started;
    for (const output of outputs) {
      const spec = this.metadata.outputs.find((candidate) => candidate.name === output.name);
      if (spec && !shapeFits(output.shape, spec.shape)) {
        throw new Error(
          `model '${this.name}': output '${output.name}' came out as [${output.shape.join(',')}], the manifest declares [${spec.shape.join(',')}]`,
        );
      }
    }
    return elapsed;
  }

  async release(): Promise<void> {
    await this.session.release();
  }

  private checkBatch(request: InferRequest | WireInferRequest): void {
    for (const input of request.inputs) {
      const spec = this.manifest.inputs.find((candidate) => candidate.name === input.name);
      if (spec?.shape[0] !== -1) continue; // no batch axis
      const rows = input.shape[0] ?? 0;
      if (rows === 0) throw MspError.badRequest(`input '${input.name}' has no rows (shape [${input.shape.join(',')}])`);
      if (rows > this.options.maxBatchRows) {
        throw MspError.badRequest(
          `input '${input.name}' has ${rows} rows; this predictor takes at most ${this.options.maxBatchRows} rows per request`,
        );
      }
    }
  }

  private async run(inputs: readonly (InferTensor | WireTensor)[], requested: readonly string[]): Promise<InferTensor[]> {
    const wantsLabel = requested.includes(LABEL_OUTPUT);
    const fetches = requested.filter((name) => name !== LABEL_OUTPUT);
    if (wantsLabel && !fetches.includes(PROBABILITIES_OUTPUT)) fetches.push(PROBABILITIES_OUTPUT);
    const feeds: Record<string, Tensor> = {};
    for (const input of inputs) feeds[input.name] = toOrtTensor(input);
    let results: InferenceSession.OnnxValueMapType;
    try {
      results = await this.session.run(feeds, fetches);
    } catch (error) {
      throw MspError.internal(`model '${this.name}' failed to run: ${errorMessage(error)}`, error);
    }
    const tensors = new Map<string, InferTensor>();
    for (const name of fetches) {
      const value = results[name];
      if (!value) throw MspError.internal(`model '${this.name}' returned no output '${name}'`);
      tensors.set(name, fromOrtTensor(name, value as Tensor));
    }
    if (wantsLabel) {
      tensors.set(LABEL_OUTPUT, labelsFromProbabilities(tensors.get(PROBABILITIES_OUTPUT)!, this.manifest.labels));
    }
    return requested.map((name) => tensors.get(name)!);
  }
}

function zeroRow(spec: TensorSpec): InferTensor {
  const shape = spec.shape.map((dim) => (dim === -1 ? 1 : dim));
  const count = elementCount(shape);
  const data: TensorData =
    spec.datatype === 'BOOL'
      ? new Array<boolean>(count).fill(false)
      : spec.datatype === 'BYTES'
        ? new Array<string>(count).fill('')
        : new Array<number>(count).fill(0);
  return { name: spec.name, datatype: spec.datatype, shape, data };
}

function shapeFits(actual: readonly number[], declared: readonly number[]): boolean {
  return actual.length === declared.length && declared.every((dim, axis) => dim === -1 || dim === actual[axis]);
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
