import { z } from 'zod';

/** The serving pattern a prediction came through. */
export const PREDICTION_PATTERNS = ['sync', 'web-single', 'async', 'batch', 'graph'] as const;
export type PredictionPattern = (typeof PREDICTION_PATTERNS)[number];

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
  /** SHA-256 (hex) of the inputs as JSON, always; `data` only up to the configured size. */
  input: z.object({ sha256: z.string(), bytes: z.number().int().nonnegative(), data: z.unknown().optional(), truncated: z.boolean() }),
  /** The response outputs (tensors), or nothing when it failed or exceeded the size cap. */
  output: z.unknown().optional(),
  status: z.number().int(),
  error: z.string().optional(),
  /** Milliseconds: `total`, and per hop where the path knows them (e.g. graph steps, queue wait). */
  latency_ms: z.record(z.string(), z.number()),
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
