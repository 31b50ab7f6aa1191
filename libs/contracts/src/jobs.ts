import { z } from 'zod';

/**
 * The asynchronous pattern's names and messages, declared once: the gateway submits, workers
 * consume, both derive every stream, subject, consumer and Redis key from one namespace
 * (`JOBS_NAMESPACE`, default `msp`), so a test or a second deployment on the same NATS and Redis
 * can use its own queue without touching anybody else's.
 */
export const DEFAULT_JOBS_NAMESPACE = 'msp';

/** Lower-case letters, digits and dashes: safe as a NATS subject token, a stream name part and a Redis key part. */
const NAMESPACE = /^[a-z0-9][a-z0-9-]{0,40}$/;

export function isJobsNamespace(value: string): boolean {
  return NAMESPACE.test(value);
}

export interface JobQueueNames {
  readonly namespace: string;
  /** JetStream stream with work-queue retention: one message per job. */
  readonly stream: string;
  /** Every job subject (`<ns>.jobs.infer.>`), the stream's subject filter. */
  readonly subjects: string;
  /** The subject of one job for one model. */
  readonly subject: (model: string) => string;
  /** The durable pull consumer all workers share. */
  readonly consumer: string;
  /** Where a job goes, with the reason, when it has failed for good. */
  readonly deadStream: string;
  readonly deadSubjects: string;
  readonly deadSubject: (model: string) => string;
  /** Redis hash of one job's state. */
  readonly jobKey: (jobId: string) => string;
  /** Redis string: Idempotency-Key → job id. */
  readonly idempotencyKey: (key: string) => string;
}

export function jobQueueNames(namespace: string = DEFAULT_JOBS_NAMESPACE): JobQueueNames {
  if (!isJobsNamespace(namespace)) {
    throw new Error(`jobs namespace '${namespace}' must be lower-case letters, digits and dashes (at most 41)`);
  }
  const upper = namespace.toUpperCase().replaceAll('-', '_');
  return {
    namespace,
    stream: `${upper}_JOBS`,
    subjects: `${namespace}.jobs.infer.>`,
    subject: (model) => `${namespace}.jobs.infer.${model}`,
    consumer: `${namespace}-workers`,
    deadStream: `${upper}_JOBS_DEAD`,
    deadSubjects: `${namespace}.jobs.dead.>`,
    deadSubject: (model) => `${namespace}.jobs.dead.${model}`,
    jobKey: (jobId) => `${namespace}:job:${jobId}`,
    idempotencyKey: (key) => `${namespace}:job-idem:${key}`,
  };
}

export const JOB_STATUSES = ['queued', 'running', 'succeeded', 'failed'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];

export function isTerminalStatus(status: JobStatus): boolean {
  return status === 'succeeded' || status === 'failed';
}

/** A job id is a UUID (crypto.randomUUID): unguessable and collision-free, never a short id. */
export const JOB_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export function isJobId(value: string): boolean {
  return JOB_ID.test(value);
}

/** The HTTP header that makes a retried submit return the same job. */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';
/** Visible ASCII, at most 255 characters (the IETF draft's shape). */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

/**
 * The JetStream message of one job. The request has been validated by the gateway against the
 * model's metadata before it was queued.
 */
export const JobMessageSchema = z.object({
  job_id: z.string().regex(JOB_ID, 'job_id must be a UUID'),
  model: z.string().min(1),
  version: z.string().min(1).optional(),
  request_id: z.string().min(1).max(256),
  request: z.record(z.string(), z.unknown()),
});
export type JobMessage = z.infer<typeof JobMessageSchema>;

/** What a dead-lettered job message carries: the original (as text when it was not parseable) and why. */
export interface DeadLetter {
  job_id?: string;
  model?: string;
  reason: string;
  deliveries: number;
  failed_at: string;
  /** The original message: parsed when it was valid JSON, else its text. */
  message: unknown;
}

/** JetStream headers of the job queue. */
export const JobHeaders = {
  /** JetStream de-duplication within the stream's duplicate window: the job id. */
  msgId: 'Nats-Msg-Id',
} as const;
