import { Inject, Injectable } from '@nestjs/common';
import { Subjects, type InferResponse, type JobMessage } from '@msp/contracts';
import { JobQueue, JobRepository, type JsMsg } from '@msp/jobs';
import { NatsBus, type NatsConsumer } from '@msp/messaging';
import { isRedisReady, REDIS, type Redis } from '@msp/redis';
import { PredictionLog } from '@msp/prediction-log';
import { LOGGER, Metrics, Readiness, type Logger, type TraceContext } from '@msp/telemetry';
import { WORKER_CONFIG } from '../config/config.module.js';
import type { WorkerConfig } from '../config/worker-config.schema.js';
import { WorkerReadiness } from '../health/worker.readiness.js';
import { JobProcessor } from './job.processor.js';

type Messages = Awaited<ReturnType<Awaited<ReturnType<JobQueue['consumer']>>['consume']>>;

/**
 * Pulls jobs from the shared durable consumer and runs up to WORKER_CONCURRENCY at once. On
 * shutdown it stops pulling, hands back what it had pulled but not started (nak, so another
 * worker takes it at once), and waits for the jobs in flight up to SHUTDOWN_GRACE_MS; the NATS
 * connection and Redis close after that (their own shutdown hooks run later). NatsTransport
 * starts and stops it, so the worker has the same lifecycle and readiness as a NATS service.
 */
@Injectable()
export class JobConsumer implements NatsConsumer {
  private messages: Messages | undefined;
  private advisories: { unsubscribe(): void } | undefined;
  private loop: Promise<void> | undefined;
  private stopping = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  private slotFreed: (() => void) | undefined;

  constructor(
    private readonly queue: JobQueue,
    private readonly repository: JobRepository,
    private readonly bus: NatsBus,
    @Inject(WORKER_CONFIG) private readonly config: WorkerConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly metrics: Metrics,
    private readonly predictionLog: PredictionLog,
    readiness: Readiness,
    @Inject(REDIS) redis: Redis,
  ) {
    readiness.set(WorkerReadiness.redis, () => isRedisReady(redis));
  }

  async start(): Promise<void> {
    await this.queue.ensureStreams();
    await this.queue.ensureConsumer({ ackWaitMs: this.config.ackWaitMs, maxDeliver: this.config.maxDeliver });
    const consumer = await this.queue.consumer();
    // The consumer's own settings count (another worker may have set them): they decide redelivery.
    const { config } = await consumer.info(true);
    const ackWaitMs = config.ack_wait ? Math.round(config.ack_wait / 1_000_000) : this.config.ackWaitMs;
    const maxDeliver = config.max_deliver && config.max_deliver > 0 ? config.max_deliver : this.config.maxDeliver;
    const processor = new JobProcessor(
      this.repository,
      this.queue,
      { infer: (job, deadline, trace) => this.infer(job, deadline, trace) },
      {
        ackWaitMs,
        maxDeliver,
        jobTimeoutMs: this.config.jobTimeoutMs,
        retryBackoffMs: this.config.retryBackoffMs,
      },
      this.logger,
      (outcome, model) => this.metrics.job(model ?? '', outcome),
    );
    this.advisories = this.queue.onExhausted((job) => processor.exhausted(job, (seq) => this.queue.remove(seq)));
    this.messages = await consumer.consume({ max_messages: this.config.concurrency, expires: 30_000 });
    this.loop = this.run(this.messages, processor);
    this.logger.info(
      {
        stream: this.queue.names.stream,
        consumer: this.queue.names.consumer,
        concurrency: this.config.concurrency,
        maxDeliver,
        ackWaitMs,
      },
      `worker ready: consuming ${this.queue.names.subjects}`,
    );
  }

  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    this.slotFreed?.();
    this.advisories?.unsubscribe();
    await this.messages?.close().catch(() => undefined);
    const inFlight = this.inFlight.size;
    if (inFlight > 0) this.logger.info({ inFlight, graceMs: this.config.shutdownGraceMs }, 'waiting for jobs in flight');
    const grace = new Promise<'timeout'>((resolve) => setTimeout(() => resolve('timeout'), this.config.shutdownGraceMs).unref());
    const done = Promise.allSettled([...this.inFlight]).then(() => 'done' as const);
    if ((await Promise.race([done, grace])) === 'timeout') {
      this.logger.warn({ unfinished: this.inFlight.size }, 'shutdown grace over: unfinished jobs will be redelivered');
    }
    await Promise.race([this.loop, grace]);
  }

  private async run(messages: Messages, processor: JobProcessor): Promise<void> {
    try {
      for await (const msg of messages) {
        if (this.stopping) {
          msg.nak();
          continue;
        }
        while (this.inFlight.size >= this.config.concurrency && !this.stopping) {
          await new Promise<void>((resolve) => (this.slotFreed = resolve));
        }
        if (this.stopping) {
          msg.nak();
          continue;
        }
        this.startJob(msg, processor);
      }
    } catch (error) {
      if (!this.stopping) this.logger.error({ err: error }, 'job consumer stopped unexpectedly');
    }
  }

  private startJob(msg: JsMsg, processor: JobProcessor): void {
    const task = processor
      .process(msg)
      .catch((error: unknown) => {
        // process() handles its own failures; this is a last resort so the loop never dies.
        this.logger.error({ err: error }, 'unexpected failure while processing a job: it will be redelivered');
        msg.nak(this.config.retryBackoffMs);
      })
      .finally(() => {
        this.inFlight.delete(task);
        const wake = this.slotFreed;
        this.slotFreed = undefined;
        wake?.();
      });
    this.inFlight.add(task);
  }

  private infer(job: JobMessage, deadline: number, trace: TraceContext | undefined): Promise<InferResponse> {
    const subject = job.version === undefined ? Subjects.infer(job.model) : Subjects.inferVersion(job.model, job.version);
    const answer = this.bus.request<InferResponse>(subject, job.request, { deadline, requestId: job.request_id, trace });
    // Every attempt's answer or failure, as the `async` pattern.
    this.predictionLog.follow({ requestId: job.request_id, pattern: 'async', model: job.model, version: job.version, inputs: job.request['inputs'], trace }, answer);
    return answer;
  }
}
