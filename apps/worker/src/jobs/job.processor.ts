import {
  deadlineIn,
  ErrorCode,
  JobMessageSchema,
  MspError,
  type DeadLetter,
  type InferResponse,
  type JobMessage,
  type JobStatus,
  isTerminalStatus,
} from '@msp/contracts';
import type { ExhaustedJob, TransitionOutcome } from '@msp/jobs';
import { extractTrace, headerGetter, inContext, linkTo, SpanKind, traceFields, withSpan, type HeaderMap, type Logger, type TraceContext } from '@msp/telemetry';

/** The parts of a JetStream message the processor uses (JsMsg satisfies it). */
export interface JobDelivery {
  readonly data: Uint8Array;
  /** The submit's `traceparent`, among others. */
  readonly headers?: HeaderMap | undefined;
  readonly info: { readonly deliveryCount: number };
  working(): void;
  nak(delayMs?: number): void;
  ackAck(options?: { timeout: number }): Promise<boolean>;
}

export interface JobStore {
  markRunning(jobId: string): Promise<TransitionOutcome>;
  succeed(jobId: string, result: InferResponse): Promise<TransitionOutcome>;
  fail(jobId: string, error: string): Promise<TransitionOutcome>;
  get(jobId: string): Promise<{ status: JobStatus } | undefined>;
}

export interface DeadLetters {
  deadLetter(letter: DeadLetter): Promise<unknown>;
}

export interface Predictor {
  /** `trace`: the attempt's span, parent of the predictor call. */
  infer(job: JobMessage, deadline: number, trace: TraceContext | undefined): Promise<InferResponse>;
}

export interface ProcessorSettings {
  /** The consumer's ack wait: an in-progress signal goes out every half of it. */
  ackWaitMs: number;
  /** The consumer's max_deliver: the attempt that fails at this count is the last one. */
  maxDeliver: number;
  jobTimeoutMs: number;
  retryBackoffMs: number;
}

/** How one delivery ended (for logs, metrics and tests). */
export type Outcome = 'succeeded' | 'retry' | 'failed' | 'dead-lettered' | 'duplicate';

const ACK_TIMEOUT_MS = 5_000;
const MAX_BACKOFF_MS = 60_000;

/** Delay before the next attempt: `base`, then doubling per delivery, at most 60 s. */
export function retryDelayMs(deliveryCount: number, baseMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, deliveryCount - 1), MAX_BACKOFF_MS);
}

/**
 * Runs one delivered job: mark it running, call the predictor within the attempt's deadline,
 * store the result, and only then ack. A client error from the predictor (4xx) is permanent:
 * failed at once. Anything else (no predictor, timeout, 5xx, Redis trouble) is retried with a
 * growing delay until `maxDeliver`, after which the job goes to the dead-letter stream with the
 * reason and is marked failed. The message is acked once the job's end is recorded (on NATS 2.9
 * a `term` would leave it in the work-queue stream). A message that is not a job is
 * dead-lettered, never thrown.
 */
export class JobProcessor {
  constructor(
    private readonly store: JobStore,
    private readonly deadLetters: DeadLetters,
    private readonly predictor: Predictor,
    private readonly settings: ProcessorSettings,
    private readonly logger: Logger,
    /** Told how every delivery ended, with the job's model when the message was a job (metrics). */
    private readonly observe?: (outcome: Outcome, model: string | undefined) => void,
  ) {}

  async process(delivery: JobDelivery): Promise<Outcome> {
    const text = Buffer.from(delivery.data).toString('utf8');
    const job = parseJob(text);
    const outcome =
      typeof job === 'string'
        ? await this.giveUp(delivery, undefined, `not a job message: ${job}`, parseLoosely(text), { markFailed: false })
        : await this.traced(delivery, job);
    this.observe?.(outcome, typeof job === 'string' ? undefined : job.model);
    return outcome;
  }

  /** The attempt's span continues the submit's trace and links to its span (the job waited in between). */
  private traced(delivery: JobDelivery, job: JobMessage): Promise<Outcome> {
    const submit = extractTrace(delivery.headers, headerGetter);
    const attributes = { 'messaging.system': 'nats', 'msp.job_id': job.job_id, 'msp.model': job.model };
    return withSpan(`job process ${job.model}`, { kind: SpanKind.CONSUMER, parent: submit, links: linkTo(submit), attributes }, (trace) =>
      this.attempt(delivery, job, trace),
    );
  }

  private async attempt(delivery: JobDelivery, job: JobMessage, trace: TraceContext | undefined): Promise<Outcome> {
    const deliveries = delivery.info.deliveryCount;
    const log = this.logger.child({ ...traceFields(trace), jobId: job.job_id, model: job.model, requestId: job.request_id, delivery: deliveries });

    const keepAlive = setInterval(() => delivery.working(), Math.max(500, Math.floor(this.settings.ackWaitMs / 2)));
    keepAlive.unref();
    try {
      // Redis commands sent in the attempt's trace are spans of it (ioredis instrumentation).
      const running = await inContext(trace, () => this.store.markRunning(job.job_id));
      if (running.outcome === 'terminal') {
        log.info('job had finished already: a duplicate delivery, acked');
        await this.ack(delivery, log);
        return 'duplicate';
      }
      if (running.outcome === 'missing') {
        return await this.giveUp(delivery, job, 'the job record is gone (expired before the job ran)', job, { markFailed: false });
      }
      const result = await this.predictor.infer(job, deadlineIn(this.settings.jobTimeoutMs), trace);
      await inContext(trace, () => this.store.succeed(job.job_id, result));
      await this.ack(delivery, log);
      log.debug('job succeeded');
      return 'succeeded';
    } catch (error) {
      const reason = describe(error);
      if (MspError.is(error) && isPermanent(error.code)) {
        log.info({ error: reason }, 'job failed: the predictor refused it');
        return await this.giveUp(delivery, job, reason, job, { markFailed: true, deadLetter: false });
      }
      if (deliveries >= this.settings.maxDeliver) {
        log.warn({ error: reason }, 'job failed on its last delivery: dead-lettered');
        return await this.giveUp(delivery, job, `failed after ${deliveries} attempts; last error: ${reason}`, job, {
          markFailed: true,
        });
      }
      const delay = retryDelayMs(deliveries, this.settings.retryBackoffMs);
      log.info({ error: reason, retryInMs: delay }, 'job attempt failed: will retry');
      delivery.nak(delay);
      return 'retry';
    } finally {
      clearInterval(keepAlive);
    }
  }

  /**
   * The end of a job that will not succeed: dead letter first (unless the client's request was
   * at fault), then the failed state, then the ack. If any step fails the message is nak-ed, so
   * the next delivery records the end instead: a job is never lost silently.
   */
  private async giveUp(
    delivery: JobDelivery,
    job: JobMessage | undefined,
    reason: string,
    message: unknown,
    options: { markFailed: boolean; deadLetter?: boolean },
  ): Promise<Outcome> {
    const deadLetter = options.deadLetter ?? true;
    try {
      if (deadLetter) {
        await this.deadLetters.deadLetter({
          ...(job ? { job_id: job.job_id, model: job.model } : {}),
          reason,
          deliveries: delivery.info.deliveryCount,
          failed_at: new Date().toISOString(),
          message,
        });
      }
      if (options.markFailed && job) await this.store.fail(job.job_id, reason);
      await this.ack(delivery, this.logger);
    } catch (error) {
      this.logger.error({ err: error, jobId: job?.job_id }, 'could not record the end of a failed job: will retry');
      delivery.nak(retryDelayMs(1, this.settings.retryBackoffMs));
      return 'retry';
    }
    if (!job) this.logger.warn({ reason }, 'dead-lettered a message that is not a job');
    return deadLetter ? 'dead-lettered' : 'failed';
  }

  /**
   * A job whose last delivery got no answer at all (its worker died or hung on the last
   * attempt): JetStream stops redelivering it but keeps the message. Records the end the same
   * way (dead letter, failed), then removes the message. A job that had in fact finished (its
   * ack was lost) is only removed.
   */
  async exhausted(job: ExhaustedJob, remove: (seq: number) => Promise<void>): Promise<void> {
    try {
      if (job.data === undefined) return;
      const text = Buffer.from(job.data).toString('utf8');
      const parsed = parseJob(text);
      const reason = `delivered ${job.deliveries} times without an answer (the worker died or hung on every attempt)`;
      if (typeof parsed === 'string') {
        await this.deadLetters.deadLetter({ reason: `not a job message: ${parsed}`, deliveries: job.deliveries, failed_at: new Date().toISOString(), message: parseLoosely(text) });
      } else {
        const record = await this.store.get(parsed.job_id);
        if (record && !isTerminalStatus(record.status)) {
          await this.deadLetters.deadLetter({
            job_id: parsed.job_id,
            model: parsed.model,
            reason,
            deliveries: job.deliveries,
            failed_at: new Date().toISOString(),
            message: parsed,
          });
          await this.store.fail(parsed.job_id, reason);
          this.logger.warn({ jobId: parsed.job_id, deliveries: job.deliveries }, 'job exhausted its deliveries without an answer: dead-lettered');
        }
      }
      await remove(job.seq);
    } catch (error) {
      this.logger.error({ err: error, seq: job.seq }, 'could not record the end of an exhausted job');
    }
  }

  private async ack(delivery: JobDelivery, logger: Logger): Promise<void> {
    // A lost ack only means one more (duplicate) delivery, which finds the job finished.
    const confirmed = await delivery.ackAck({ timeout: ACK_TIMEOUT_MS }).catch(() => false);
    if (!confirmed) logger.warn('ack not confirmed by JetStream: the job may be delivered once more');
  }
}

/** 4xx from the predictor: the request itself is at fault, another attempt would fail the same way. */
function isPermanent(code: ErrorCode): boolean {
  return code >= 400 && code < 500;
}

function parseJob(text: string): JobMessage | string {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return 'the body is not JSON';
  }
  const parsed = JobMessageSchema.safeParse(value);
  if (parsed.success) return parsed.data;
  return parsed.error.issues.map((issue) => `${issue.path.join('.') || '(body)'}: ${issue.message}`).join('; ');
}

function parseLoosely(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text.slice(0, 10_000);
  }
}

function describe(error: unknown): string {
  if (MspError.is(error)) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}
