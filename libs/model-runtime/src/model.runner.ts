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
import { Tensor as OrtTensor } from 'onnxruntime-node';
import { DynamicBatcher, type BatchStats } from './dynamic.batcher.js';
import { LABEL_OUTPUT, LABEL_SPEC, labelsFromProbabilities, PROBABILITIES_OUTPUT } from './label.output.js';
import { fromOrtTensor, ortTypeOf, toOrtTensor } from './ort-tensor.codec.js';

export const ONNX_PLATFORM = 'onnxruntime';

export interface ModelRunnerOptions {
  /** Largest batch (rows on the batch axis) one request may carry. */
  maxBatchRows: number;
  /**
   * Adaptive dynamic batching: requests that arrive while a run is in progress are run together
   * afterwards, up to this many rows (1, the default: every request runs alone). See DynamicBatcher.
   */
  dynamicBatchRows?: number;
  /** Told of every batch run (size, queue and compute time), for metrics. */
  onBatch?: (stats: BatchStats) => void;
}

/** Datatypes whose requests can be concatenated into one batch (typed arrays without conversion per element). */
const BATCHABLE_ARRAYS: Partial<Record<string, new (length: number) => Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | Uint8Array | Uint16Array | Uint32Array>> = {
  FP32: Float32Array,
  FP64: Float64Array,
  INT8: Int8Array,
  INT16: Int16Array,
  INT32: Int32Array,
  UINT8: Uint8Array,
  UINT16: Uint16Array,
  UINT32: Uint32Array,
};

interface BatchItem {
  inputs: readonly (InferTensor | WireTensor)[];
  fetches: readonly string[];
}

type SessionResults = Record<string, Tensor>;

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
  /** Set when dynamic batching is on. */
  private readonly batcher: DynamicBatcher<BatchItem, SessionResults> | undefined;
  /** Inputs and outputs with a batch axis (shape[0] = -1), by name. */
  private readonly batchAxis = new Set<string>();

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
    for (const spec of [...manifest.inputs, ...manifest.outputs]) if (spec.shape[0] === -1) this.batchAxis.add(spec.name);
    const maxRows = options.dynamicBatchRows ?? 1;
    this.batcher =
      maxRows > 1
        ? new DynamicBatcher<BatchItem, SessionResults>({
            maxRows,
            runBatch: (items) => this.runBatch(items),
            rowsOf: (item) => item.inputs[0]?.shape[0] ?? 1,
            keyOf: (item) =>
              `${item.fetches.join(',')}|${item.inputs.map((input) => `${input.name}:${input.datatype}:${input.shape.slice(1).join('x')}`).join(';')}`,
            ...(options.onBatch ? { onBatch: options.onBatch } : {}),
          })
        : undefined;
  }

  get maxBatchRows(): number {
    return this.options.maxBatchRows;
  }

  /** Rows one dynamic batch may hold (1: batching off). */
  get dynamicBatchRows(): number {
    return this.options.dynamicBatchRows ?? 1;
  }

  /**
   * Runs a request parsed by `parseInferRequest` (JSON) or decoded from a binary body (whose
   * numbers may already be the typed arrays ORT takes). Checks it against the model — the one
   * check a predictor makes: names, datatypes, shapes, batch size, outputs. Returns the requested
   * outputs (all of them when the request names none), flat, with their shapes, in the order requested.
   */
  async infer(request: InferRequest | WireInferRequest, options: { deadline?: number } = {}): Promise<InferTensor[]> {
    checkAgainstModel(request, this.metadata);
    this.checkBatch(request);
    const requested = [...new Set(request.outputs?.map((output) => output.name) ?? this.outputNames)];
    return this.run(request.inputs, requested, options.deadline);
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

  private async run(inputs: readonly (InferTensor | WireTensor)[], requested: readonly string[], deadline?: number): Promise<InferTensor[]> {
    const wantsLabel = requested.includes(LABEL_OUTPUT);
    const fetches = requested.filter((name) => name !== LABEL_OUTPUT);
    if (wantsLabel && !fetches.includes(PROBABILITIES_OUTPUT)) fetches.push(PROBABILITIES_OUTPUT);
    const results =
      this.batcher && this.isBatchable(inputs, fetches)
        ? await this.batcher.submit({ inputs, fetches }, deadline)
        : await this.runSession(feedsOf(inputs), fetches);
    const tensors = new Map<string, InferTensor>();
    for (const name of fetches) {
      const value = results[name];
      if (!value) throw MspError.internal(`model '${this.name}' returned no output '${name}'`);
      tensors.set(name, fromOrtTensor(name, value));
    }
    if (wantsLabel) {
      tensors.set(LABEL_OUTPUT, labelsFromProbabilities(tensors.get(PROBABILITIES_OUTPUT)!, this.manifest.labels));
    }
    return requested.map((name) => tensors.get(name)!);
  }

  private async runSession(feeds: Record<string, Tensor>, fetches: readonly string[]): Promise<SessionResults> {
    try {
      return (await this.session.run(feeds, [...fetches])) as SessionResults;
    } catch (error) {
      throw MspError.internal(`model '${this.name}' failed to run: ${errorMessage(error)}`, error);
    }
  }

  /** Every input and output on a batch axis, numeric, with the same rows: rows can be stacked and split again. */
  private isBatchable(inputs: readonly (InferTensor | WireTensor)[], fetches: readonly string[]): boolean {
    const rows = inputs[0]?.shape[0];
    return (
      inputs.every((input) => this.batchAxis.has(input.name) && BATCHABLE_ARRAYS[input.datatype] !== undefined && input.shape[0] === rows) &&
      fetches.every((name) => this.batchAxis.has(name))
    );
  }

  /** One session run for several requests: inputs stacked on the batch axis, outputs split back by rows. */
  private async runBatch(items: readonly BatchItem[]): Promise<SessionResults[]> {
    const [first] = items;
    if (first === undefined) return [];
    if (items.length === 1) return [await this.runSession(feedsOf(first.inputs), first.fetches)];
    const rowsOf = items.map((item) => item.inputs[0]?.shape[0] ?? 1);
    const totalRows = rowsOf.reduce((sum, rows) => sum + rows, 0);
    const feeds: Record<string, Tensor> = {};
    first.inputs.forEach((input, index) => {
      const rowSize = input.shape.slice(1).reduce((size, dim) => size * dim, 1);
      const stacked = new BATCHABLE_ARRAYS[input.datatype]!(totalRows * rowSize);
      let offset = 0;
      for (const item of items) {
        const data = item.inputs[index]!.data as ArrayLike<number>;
        stacked.set(data, offset);
        offset += data.length;
      }
      feeds[input.name] = new OrtTensor(ortTypeOf(input.datatype) as 'float32', stacked as Float32Array, [totalRows, ...input.shape.slice(1)]);
    });
    const results = await this.runSession(feeds, first.fetches);
    const split: SessionResults[] = items.map(() => ({}));
    for (const name of first.fetches) {
      const tensor = results[name];
      if (!tensor || tensor.dims[0] !== totalRows) {
        throw MspError.internal(`model '${this.name}': output '${name}' of a batch of ${totalRows} rows came out as [${tensor?.dims.join(',') ?? ''}]`);
      }
      const rowSize = tensor.size / totalRows;
      const data = tensor.data as Float32Array;
      let row = 0;
      items.forEach((_, index) => {
        const rows = rowsOf[index]!;
        split[index]![name] = new OrtTensor(tensor.type as 'float32', data.subarray(row * rowSize, (row + rows) * rowSize), [rows, ...tensor.dims.slice(1)]);
        row += rows;
      });
    }
    return split;
  }
}

function feedsOf(inputs: readonly (InferTensor | WireTensor)[]): Record<string, Tensor> {
  const feeds: Record<string, Tensor> = {};
  for (const input of inputs) feeds[input.name] = toOrtTensor(input);
  return feeds;
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
