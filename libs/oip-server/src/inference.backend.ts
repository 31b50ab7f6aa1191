import type { TraceContext } from '@msp/telemetry';
import type { ExperimentTag, InferRequest, InferResponse, ModelMetadata, PredictionPattern } from '@msp/contracts';

export interface InferContext {
  requestId: string;
  /** Absolute deadline (epoch ms) for the whole request. */
  deadline: number;
  /** The request's trace, handed to every call it makes (undefined when tracing is off). */
  readonly trace?: TraceContext | undefined;
  /** Aborted when the HTTP client has gone before its answer was sent (optional; created on first read). */
  readonly signal?: AbortSignal;
  /** Sets a response header (e.g. cache hit, degraded answer); absent where there is no HTTP reply. */
  setHeader?(name: string, value: string): void;
  /** A request header (lower-case name), e.g. an AB experiment's assignment key; absent where there is no HTTP request. */
  header?(name: string): string | undefined;
}

/**
 * What serves the Open Inference Protocol routes. The gateway implements it over NATS
 * (synchronous pattern); a predictor implements it in-process (web-single pattern). The HTTP
 * layer is the same code for both, so the two patterns answer identically by construction.
 * Failures are thrown as MspError with the code the client should see.
 */
export interface InferenceBackend {
  /** Ready to serve traffic: dependencies reachable and at least one model servable. */
  isReady(): Promise<boolean>;
  listModels(): Promise<ModelMetadata[]>;
  /** Throws MspError 404 when the model (or that version) is unknown. */
  modelMetadata(model: string, version?: string): Promise<ModelMetadata>;
  isModelReady(model: string, version?: string): Promise<boolean>;
  infer(model: string, version: string | undefined, request: InferRequest, context: InferContext): Promise<InferResponse>;
  /** The pattern a model's predictions are logged under (e.g. `graph`); `sync` when absent. */
  predictionPattern?(model: string): PredictionPattern;
  /** The experiment a request is logged under (shadow AB: the primary side; online AB: its variant), if any. */
  experimentOf?(model: string, request: InferRequest, context: InferContext): ExperimentTag | undefined;
  /** The experiment an answer is logged under when it differs from `experimentOf` (online AB: the control answered for a failed candidate); undefined keeps that. */
  experimentOfAnswer?(model: string, response: InferResponse): ExperimentTag | undefined;
}

/** Nest injection token under which an app provides its InferenceBackend. */
export const INFERENCE_BACKEND = Symbol.for('msp.inference-backend');
