import { z } from 'zod';

/** The serving pattern a prediction came through. */
export const PREDICTION_PATTERNS = ['sync', 'web-single', 'async', 'batch', 'graph', 'shadow'] as const;
export type PredictionPattern = (typeof PREDICTION_PATTERNS)[number];

/**
 * Which side of an experiment a logged prediction is: the answer the client got, the mirrored
 * one, or `fallback` — the answer the client got from the variant named by
 * `experiments.<id>.fallback` (a rollout's control) after the variant assigned to it failed
 * (that failure is logged apart, under the assigned variant).
 */
export const EXPERIMENT_SIDES = ['primary', 'shadow', 'fallback'] as const;
export type ExperimentSide = (typeof EXPERIMENT_SIDES)[number];

/** How a logged prediction is tagged with its experiment. */
export interface ExperimentTag {
  id: string;
  side?: ExperimentSide;
  variant?: string;
}

/** The prediction log's JetStream stream; records on `msp.log.<model>`. */
export const PredictionLogStream = {
  name: 'MSP_PREDICTIONS',
  subjects: 'msp.log.>',
  subject: (model: string): string => `msp.log.${model}`,
  /** The durable consumer of the log store (apps/monitor). */
  storeConsumer: 'msp-log-store',
} as const;

/** Subjects of the log service (apps/monitor), request-reply in its queue group. */
export const LogSubjects = {
  /** A LogQuery in, `{records: LoggedPrediction[]}` out. */
  query: 'msp.logs.query',
  /** A Feedback in, `{joined: true}` out; 404 when no prediction has that request id. */
  feedback: 'msp.logs.feedback',
} as const;

/** Experiment reports, answered by the monitor from the prediction log (queue group `msp.monitor`). */
export const ExperimentSubjects = {
  /** `{id, kind}` in, a ShadowReport (kind `shadow`) or an AbReport (kind `ab`) out (counts 0 when nothing is logged yet). */
  report: 'msp.experiments.report',
} as const;

export const LogQueueGroup = 'msp.monitor';
export const LogServiceName = 'msp-monitor';

/** One prediction as published to the log (what every pattern records). */
export const PredictionRecordSchema = z.object({
  request_id: z.string().min(1).max(256),
  trace_id: z.string().optional(),
  pattern: z.enum(PREDICTION_PATTERNS),
  model: z.string().min(1),
  version: z.string().optional(),
  /** Epoch ms when the prediction ended. */
  ts: z.number(),
  /**
   * SHA-256 (hex) of the inputs, always: of their JSON (`bytes` its size), or — `hashed:
   * 'tensors'`, for tensors whose JSON would be over the size cap — of their canonical binary form
   * (`canonicalInputs`; `bytes` its size), which costs a fraction of stringifying an image. `data`
   * only up to the configured size; `image`, when the input is square images, each image's
   * [ink, centre_x, centre_y] (image drift needs those, not the pixels).
   */
  input: z.object({
    sha256: z.string(),
    bytes: z.number().int().nonnegative(),
    hashed: z.literal('tensors').optional(),
    data: z.unknown().optional(),
    truncated: z.boolean(),
    image: z.array(z.array(z.number())).optional(),
  }),
  /** The response outputs (tensors), or nothing when it failed or exceeded the size cap. */
  output: z.unknown().optional(),
  status: z.number().int(),
  error: z.string().optional(),
  /** Milliseconds: `total`, and per hop where the path knows them (e.g. graph steps, queue wait). */
  latency_ms: z.record(z.string(), z.number()),
  /**
   * The experiment the prediction belongs to: shadow AB names the side (both sides of one request
   * share its request id), online AB the variant the request was assigned to (its exposure).
   */
  experiment: z.object({ id: z.string(), side: z.enum(EXPERIMENT_SIDES).optional(), variant: z.string().optional() }).optional(),
  /**
   * The graph a model step ran in: a graph's request is logged under the graph's name and each of
   * its model steps under the model's (with the step's own inputs, e.g. the tensor an image
   * became), so the model's monitoring sees what reached it through graphs too.
   */
  graph: z.string().optional(),
});
export type PredictionRecord = z.infer<typeof PredictionRecordSchema>;

/** A logged prediction as read back, with the ground truth posted later (if any). */
export type LoggedPrediction = PredictionRecord & { feedback?: { label: unknown; ts: number } };

export const LogQuerySchema = z.object({
  model: z.string().min(1).optional(),
  /** Epoch ms, or an ISO date: records at or after it. */
  since: z.number().optional(),
  status: z.number().int().optional(),
  request_id: z.string().optional(),
  limit: z.number().int().min(1).max(1000).default(100),
});
export type LogQuery = z.infer<typeof LogQuerySchema>;

export const FeedbackSchema = z.object({
  /** The request id of the logged prediction. */
  id: z.string().min(1).max(256),
  /** The ground truth: a class label or value, as the model's outputs name it. */
  label: z.union([z.string(), z.number(), z.boolean(), z.array(z.union([z.string(), z.number()]))]),
});
export type Feedback = z.infer<typeof FeedbackSchema>;

/** Prediction monitoring (apps/monitor): the current window of a model, and alert events. */
export const MonitoringSubjects = {
  /** `{model}` in, a MonitoringView out (404 when the model has no prediction in the window). */
  view: 'msp.monitoring.view',
  /** An AlertEvent when an alert starts or clears. */
  alert: (model: string): string => `msp.alerts.${model}`,
  alerts: 'msp.alerts.>',
} as const;

/**
 * The alerts firing now, shared by the monitor's replicas (JetStream KV): a replica announces a
 * firing alert only when it creates its key, and its end only when it deletes the key it read,
 * so N replicas watching the same window send each event once.
 */
export const AlertStates = {
  bucket: 'msp-alerts',
  /** One key per model, kind and feature; characters a KV key may not hold become `_`. */
  key: (model: string, kind: string, feature: string | undefined): string =>
    [model, kind, feature ?? '-'].map((part) => part.replace(/[^A-Za-z0-9_=-]/g, '_')).join('.'),
} as const;

export const ALERT_KINDS = ['drift', 'output_shift', 'error_rate', 'latency', 'accuracy'] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];

export interface AlertEvent {
  model: string;
  kind: AlertKind;
  /** The input feature that drifted (kind `drift`). */
  feature?: string;
  state: 'firing' | 'resolved';
  value: number;
  threshold: number;
  /** Epoch ms. */
  ts: number;
  owner?: string;
}

export interface MonitoringView {
  model: string;
  owner?: string;
  description?: string;
  window: { ms: number; from: number; to: number; count: number };
  latency_ms: { p50?: number; p95?: number; p99?: number };
  error_rate: number;
  errors: number;
  /** Per input feature: the KS statistic against the training reference and the level that counts as drift (the test's critical value, at least the minimum effect). */
  drift: { reference: boolean; samples: number; features: { name: string; ks: number; critical: number; drifted: boolean }[] };
  /** Predicted class shares against the training split's, and their PSI. */
  output: { samples: number; psi?: number; observed: Record<string, number>; expected: Record<string, number> };
  /** Live accuracy over the predictions in the window whose ground truth was posted. */
  accuracy: { samples: number; value?: number };
  alerts: AlertEvent[];
}

/** What the prediction log says of a shadow experiment: both sides' latency and how often they agree. */
export interface ShadowReport {
  id: string;
  /** Requests with a logged primary answer, among the newest `window` records. */
  requests: number;
  /** Requests where both sides answered (200); `agreement` is over these. */
  compared: number;
  /** The share of compared requests whose answers agree (the same label per row, else the same top class, else equal numbers); absent with nothing compared. */
  agreement?: number;
  sides: Record<Exclude<ExperimentSide, 'fallback'>, SideFigures>;
  /** The records read (newest first), at most. */
  window: number;
}

export interface SideFigures {
  model?: string;
  versions: string[];
  count: number;
  errors: number;
  /** Failures by status code (e.g. 504 when the shadow timed out). */
  statuses: Record<string, number>;
  latency_ms: { p50?: number; p95?: number; p99?: number; mean?: number };
}

/** What the prediction log says of an online AB experiment: exposures, outcomes and significance per variant. */
export interface AbReport {
  id: string;
  variants: AbVariantFigures[];
  /** The records read (newest first), at most. */
  window: number;
}

export interface AbVariantFigures {
  name: string;
  /** Requests answered by this variant (its exposures) in the window. */
  exposures: number;
  /** Requests assigned to this variant that failed (any status but 200), and their statuses; not exposures. */
  errors: number;
  statuses: Record<string, number>;
  latency_ms: { p50?: number; p99?: number };
  /**
   * Requests mirrored to this variant while the control answered (a rollout's shadow stage:
   * parameter `experiments.<id>.shadow`); the client never saw these answers.
   */
  mirrored?: { requests: number; errors: number; latency_ms: { p50?: number; p99?: number } };
  /**
   * Requests this variant answered after the variant assigned to them failed (a rollout's
   * canary: parameter `experiments.<id>.fallback`); not exposures, so they never blur its own
   * figures. The assigned variant's failures are among its `errors`. Latency from the request's start.
   */
  fallbacks?: { requests: number; errors: number; latency_ms: { p50?: number; p99?: number } };
  /** Exposures whose ground truth was posted (POST /v1/feedback), how many the variant got right, and the share. */
  outcomes: { samples: number; correct: number; accuracy?: number };
  /** Against the first variant (the control): a two-proportion z-test of accuracy; absent for the control or without outcomes to compare. */
  versus_control?: { z: number; p_value: number; significant: boolean; alpha: number };
}
