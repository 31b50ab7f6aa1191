import { setTimeout as sleep } from 'node:timers/promises';
import {
  decodePredictorMetadata,
  deadlineIn,
  ErrorCode,
  MspError,
  ServiceNames,
  Subjects,
  type InferResponse,
  type PredictorModel,
  type TensorSpec,
} from '@msp/contracts';
import { discoverServices, NatsBus, type NatsConnection } from '@msp/messaging';
import type { PredictionLog } from '@msp/prediction-log';
import { newRequestId } from '@msp/telemetry';

/** The run cannot go on (predictor gone after every retry, a refused request…); exit code 1. */
export class BatchRunError extends Error {
  override readonly name = 'BatchRunError';
}

/** What the batch needs to know about the model, from its predictors' micro service info. */
export interface ModelInfo {
  model: string;
  version: string;
  input: TensorSpec;
  /** Features per row: the product of the input shape after the batch dimension. */
  width: number;
  labels: string[];
}

export interface RetryPolicy {
  retries: number;
  /** Backoff before retry n (0-based) is min(baseMs·2ⁿ, maxMs). */
  baseMs: number;
  maxMs: number;
}

/** One scored row: the label and the class probabilities. */
export interface RowScore {
  label: string | number;
  probabilities: number[];
}

const DISCOVERY_WAIT_MS = 1_000;

export function backoffMs(attempt: number, policy: RetryPolicy): number {
  return Math.min(policy.maxMs, policy.baseMs * 2 ** attempt);
}

/** 503 (no predictor right now) and 504 (too slow this time) may pass; anything else will not. */
export function isTransient(error: unknown): boolean {
  return MspError.is(error) && (error.code === ErrorCode.Unavailable || error.code === ErrorCode.DeadlineExceeded);
}

/** Picks the model's newest version among the predictors that answered, or the one asked for. */
export function chooseModel(found: readonly PredictorModel[], model: string, version?: string): PredictorModel | undefined {
  const candidates = found
    .filter((m) => m.model === model && (version === undefined || m.version === version))
    .sort((a, b) => b.version.localeCompare(a.version, 'en', { numeric: true }));
  return candidates[0];
}

export function modelInfo(model: PredictorModel): ModelInfo {
  const input = model.inputs[0];
  if (!input || model.inputs.length !== 1) {
    throw new BatchRunError(`model '${model.model}' takes ${model.inputs.length} inputs; batch scores models with one`);
  }
  const rowShape = input.shape.slice(1);
  if (rowShape.some((dim) => dim <= 0)) {
    throw new BatchRunError(`model '${model.model}' has a variable row shape [${input.shape.join(',')}]`);
  }
  return {
    model: model.model,
    version: model.version,
    input,
    width: rowShape.reduce((a, b) => a * b, 1),
    labels: model.labels,
  };
}

/** Row scores from a response: `probabilities` (or the only output), label = argmax → label name. */
export function rowScores(response: InferResponse, rows: number, labels: readonly string[]): RowScore[] {
  const output = response.outputs.find((o) => o.name === 'probabilities') ?? response.outputs[0];
  if (!output || output.shape[0] !== rows) {
    throw new BatchRunError(`the predictor answered ${output?.shape[0] ?? 0} rows for ${rows}`);
  }
  const data = output.data as number[];
  const classes = data.length / rows;
  const scores: RowScore[] = [];
  for (let r = 0; r < rows; r++) {
    const probabilities = data.slice(r * classes, (r + 1) * classes);
    let best = 0;
    for (let c = 1; c < probabilities.length; c++) if ((probabilities[c] ?? 0) > (probabilities[best] ?? 0)) best = c;
    scores.push({ label: labels[best] ?? best, probabilities });
  }
  return scores;
}

/** Scores chunks of rows through the model's predictors over NATS request-reply. */
export class PredictorClient {
  private readonly bus: NatsBus;

  constructor(
    private readonly nc: NatsConnection,
    private readonly timeoutMs: number,
    private readonly retry: RetryPolicy,
    private readonly signal?: AbortSignal,
    private readonly predictionLog?: PredictionLog,
  ) {
    this.bus = new NatsBus(nc);
  }

  /**
   * Asks `$SRV.INFO.msp-predictor` who serves the model (retrying while none answers, e.g. a
   * predictor still starting next to a CronJob); `version` pins the version a resumed run began with.
   */
  async discover(model: string, version?: string): Promise<ModelInfo> {
    for (let attempt = 0; ; attempt++) {
      const infos = await discoverServices(this.nc, ServiceNames.predictor, DISCOVERY_WAIT_MS);
      const found = infos.flatMap((info) => decodePredictorMetadata(info.metadata) ?? []);
      const chosen = chooseModel(found, model, version);
      if (chosen) return modelInfo(chosen);
      if (attempt >= this.retry.retries || this.signal?.aborted) {
        const served = [...new Set(found.filter((m) => m.model === model).map((m) => m.version))];
        throw new BatchRunError(
          version !== undefined && served.length > 0
            ? `model '${model}' version ${version}, which this run began with, is no longer served (now: ${served.join(', ')}); ` +
                'start over with --overwrite'
            : `no predictor serves model '${model}' (asked $SRV.INFO.${ServiceNames.predictor} ${attempt + 1} times)`,
        );
      }
      await sleep(backoffMs(attempt, this.retry));
    }
  }

  /** One multi-row request, pinned to the model version; 503/504 retried with backoff. */
  async score(model: ModelInfo, features: readonly number[][], what: string): Promise<RowScore[]> {
    const rows = features.length;
    const body = {
      inputs: [
        {
          name: model.input.name,
          shape: [rows, ...model.input.shape.slice(1)],
          datatype: model.input.datatype,
          data: features.flat(),
        },
      ],
    };
    const subject = Subjects.inferVersion(model.model, model.version);
    for (let attempt = 0; ; attempt++) {
      try {
        const requestId = newRequestId();
        const answer = this.bus.request<InferResponse>(subject, body, { deadline: deadlineIn(this.timeoutMs), requestId });
        this.predictionLog?.follow({ requestId, pattern: 'batch', model: model.model, version: model.version, inputs: body.inputs }, answer);
        return rowScores(await answer, rows, model.labels);
      } catch (error) {
        if (!isTransient(error) || attempt >= this.retry.retries || this.signal?.aborted) {
          const detail = MspError.is(error) ? `${error.code} ${error.message}` : String(error);
          const tries = attempt + 1;
          throw new BatchRunError(`${what}: ${detail} (after ${tries} attempt${tries === 1 ? '' : 's'})`, { cause: error });
        }
        await sleep(backoffMs(attempt, this.retry));
      }
    }
  }
}
