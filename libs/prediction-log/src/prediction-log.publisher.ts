import type { NatsConnection } from '@nats-io/transport-node';
import { ErrorCode, MspError, PredictionLogStream, type ExperimentTag, type InferResponse, type PredictionPattern } from '@msp/contracts';
import type { PredictionLogSettings } from '@msp/config';
import { traceIds, type Logger, type Metrics, type TraceContext } from '@msp/telemetry';
import { packRecords } from './prediction.batch.js';
import { encodePrediction, type PredictionEntry } from './prediction.record.js';
import { ensurePredictionLogStream } from './prediction-log.stream.js';

/** A model name as one subject token (graph and model names are already; anything else is defused). */
const SAFE_TOKEN = /^[A-Za-z0-9_-]+$/;

/** Retry publishing what waits while NATS is away this often. */
const RETRY_MS = 1_000;
/**
 * Records wait this long to be published together: one socket write for all of them instead of
 * one per prediction (at concurrency 1 that write was ~9 % of web-single's CPU).
 */
const FLUSH_MS = 10;

/**
 * Publishes every prediction to the prediction log (JetStream `MSP_PREDICTIONS`,
 * `msp.log.<model>`) without ever slowing or failing one: `record` only queues the entry (the
 * trace id is taken then); hashing, encoding and publishing happen on the next turn of the
 * event loop, as plain NATS publishes (no ack awaited). At most `maxBuffered` entries wait —
 * e.g. while NATS is away; beyond that, new ones are dropped and counted
 * (`msp_prediction_log_records_total{outcome="dropped"}`).
 */
export class PredictionLog {
  private pending: PredictionEntry[] = [];
  private scheduled = false;
  private retry: NodeJS.Timeout | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly settings: PredictionLogSettings,
    private readonly isConnected: () => boolean,
    private readonly metrics: Metrics | undefined,
    private readonly logger: Logger,
  ) {}

  get enabled(): boolean {
    return this.settings.enabled;
  }

  /** Creates the stream if it is missing, so records are kept even before the monitor first runs. Best effort. */
  async start(): Promise<void> {
    if (!this.settings.enabled) return;
    try {
      await ensurePredictionLogStream(this.nc);
    } catch (error) {
      this.logger.warn({ err: error }, 'prediction log stream not ensured (JetStream unavailable?): records are published anyway');
    }
  }

  /** Queues one prediction; never throws, never waits. */
  record(entry: Omit<PredictionEntry, 'ts' | 'traceId'> & { ts?: number; traceId?: string }): void {
    if (!this.settings.enabled) return;
    this.enqueue({ ...entry, ts: entry.ts ?? Date.now(), traceId: entry.traceId });
  }

  private enqueue(entry: PredictionEntry): void {
    if (this.pending.length >= this.settings.maxBuffered) {
      this.metrics?.predictionLog('dropped');
      return;
    }
    this.pending.push(entry);
    if (!this.scheduled) {
      this.scheduled = true;
      setTimeout(() => this.flush(), FLUSH_MS).unref();
    }
  }

  /**
   * Records a prediction once its answer settles: the outputs and the version that answered, or
   * the error's status code and message; `total` latency from now. Never touches the answer.
   */
  follow(
    base: {
      requestId: string;
      pattern: PredictionPattern;
      model: string;
      version?: string | undefined;
      inputs: unknown;
      experiment?: ExperimentTag | undefined;
      /** The graph this prediction is a model step of. */
      graph?: string | undefined;
      /**
       * The tag of an answer, when what answered can differ from what was assigned (an AB
       * fallback: the control answered a request assigned to the candidate); undefined keeps `experiment`.
       */
      experimentOfAnswer?: ((response: InferResponse) => ExperimentTag | undefined) | undefined;
      /** The request's trace: its id joins the record to the trace and the log lines. */
      trace?: TraceContext | undefined;
    },
    answer: Promise<InferResponse>,
  ): void {
    if (!this.settings.enabled) return;
    const started = performance.now();
    const traceId = traceIds(base.trace)?.traceId;
    // One object per record, its fields named: this runs for every prediction.
    const entry = (settled: Pick<PredictionEntry, 'version' | 'outputs' | 'status' | 'error' | 'experiment'>): PredictionEntry => ({
      requestId: base.requestId,
      pattern: base.pattern,
      model: base.model,
      version: settled.version,
      inputs: base.inputs,
      outputs: settled.outputs,
      status: settled.status,
      error: settled.error,
      latencyMs: { total: performance.now() - started },
      traceId,
      ts: Date.now(),
      experiment: settled.experiment,
      graph: base.graph,
    });
    answer.then(
      (response) =>
        this.enqueue(
          entry({
            version: response.model_version ?? base.version,
            outputs: response.outputs,
            status: 200,
            experiment: base.experimentOfAnswer?.(response) ?? base.experiment,
          }),
        ),
      (error: unknown) =>
        this.enqueue(
          entry({
            version: base.version,
            experiment: base.experiment,
            status: MspError.is(error) ? error.code : ErrorCode.Internal,
            error: error instanceof Error ? error.message : String(error),
          }),
        ),
    );
  }

  /** Publishes what waits (on stop too); what cannot be published now waits for the retry. */
  flush(): void {
    this.scheduled = false;
    if (this.nc.isClosed()) {
      if (this.pending.length > 0) this.metrics?.predictionLog('dropped', this.pending.length);
      this.pending = [];
      return;
    }
    if (!this.isConnected()) {
      this.retry ??= setTimeout(() => {
        this.retry = undefined;
        this.flush();
      }, RETRY_MS).unref();
      return;
    }
    const batch = this.pending;
    this.pending = [];
    // One message per model for what waited together (prediction.batch.ts).
    const byToken = new Map<string, string[]>();
    for (const entry of batch) {
      try {
        const token = SAFE_TOKEN.test(entry.model) ? entry.model : '_invalid';
        const line = encodePrediction(entry, this.settings.maxDataBytes);
        const lines = byToken.get(token);
        if (lines) lines.push(line);
        else byToken.set(token, [line]);
      } catch (error) {
        this.metrics?.predictionLog('dropped');
        this.logger.debug({ err: error }, 'prediction log record dropped');
      }
    }
    for (const [token, lines] of byToken) {
      for (const { body, records: count } of packRecords(lines)) {
        try {
          this.nc.publish(PredictionLogStream.subject(token), body);
          this.metrics?.predictionLog('published', count);
        } catch (error) {
          this.metrics?.predictionLog('dropped', count);
          this.logger.debug({ err: error, records: count }, 'prediction log records dropped');
        }
      }
    }
  }
}
