import { randomUUID } from 'node:crypto';
import { Inject, Injectable, UnprocessableEntityException, ConflictException, type OnApplicationBootstrap } from '@nestjs/common';
import { checkAgainstModel, itemIdOf, MspError, parseInferRequest, type JobMessage } from '@msp/contracts';
import { JobQueue, JobRepository, requestHash, type JobRecord } from '@msp/jobs';
import { NatsConnectionState } from '@msp/messaging';
import { inContext, LOGGER, type Logger, type TraceContext } from '@msp/telemetry';
import { NatsBackend } from '../inference/nats.backend.js';

/** How long the answer to "does any worker consume the queue?" is reused. */
const WORKERS_CHECK_MS = 1_000;
/**
 * How long workers once seen still count while none is seen. A worker is seen by its waiting pull
 * requests, which live on the consumer's leader: when that leader's node goes, they go with it
 * until each worker misses two heartbeats (the consume's 30 s expiry / 2, twice) and pulls again.
 */
const WORKERS_GRACE_MS = 45_000;

export interface SubmitOptions {
  requestId: string;
  idempotencyKey?: string;
  /** The submit's trace: its Redis writes are spans in it, and the job carries it to the worker. */
  trace?: TraceContext | undefined;
}

export interface Submitted {
  job: JobRecord;
  /** True when an Idempotency-Key named an earlier job, which is returned instead of a new one. */
  replayed: boolean;
}

/**
 * Accepts a job only when it can succeed and is durably queued: the request is validated
 * against the model's metadata first (400 / 404 at once), the job record is written to Redis
 * (queued), then the job is published to JetStream and the publish acknowledged. If the
 * publish fails the record is marked failed and the answer is 503: never a 202 for a job that
 * is not queued.
 */
@Injectable()
export class JobSubmitService implements OnApplicationBootstrap {
  private streams: Promise<void> | undefined;
  /** When a worker was last seen consuming (epoch ms); never, until one is. */
  private workersSeenAt = Number.NEGATIVE_INFINITY;
  private workersCheckedAt = 0;

  constructor(
    private readonly models: NatsBackend,
    private readonly repository: JobRepository,
    private readonly queue: JobQueue,
    private readonly nats: NatsConnectionState,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  /** Creates the streams at start; a gateway without JetStream still serves everything else. */
  async onApplicationBootstrap(): Promise<void> {
    await this.ensureStreams().catch((error: unknown) =>
      this.logger.warn({ err: error }, 'job streams not ready yet: asynchronous submits will retry'),
    );
  }

  async submit(model: string, version: string | undefined, body: unknown, options: SubmitOptions): Promise<Submitted> {
    if (body === undefined || body === null) {
      throw MspError.badRequest('the request body is missing: send an inference request as application/json');
    }
    const request = parseInferRequest(body);
    // Workers infer what the job carries; an id would be resolved later, against a store that may have changed.
    const itemId = itemIdOf(request);
    if (itemId !== undefined) {
      throw MspError.badRequest(`parameters.item_id ('${itemId}') is served on /v2/models/${model}/infer; an asynchronous job carries its inputs`);
    }
    const metadata = await this.models.modelMetadata(model, version);
    if (metadata.inputs.length > 0) checkAgainstModel({ inputs: request.inputs }, { name: model, inputs: metadata.inputs, outputs: [] });

    // Without NATS or Redis the job could only time out on its way in: say so at once.
    if (!this.nats.isConnected) throw MspError.unavailable('not connected to NATS (reconnecting): nothing was queued; retry shortly', undefined, 1);
    if (!this.repository.available) throw MspError.unavailable('the job store (Redis) is not connected: nothing was queued; retry shortly', undefined, 1);
    await this.requireWorkers();
    const hash = requestHash(model, version, body);
    const jobId = randomUUID();
    const created = await store(() =>
      inContext(options.trace, () =>
        this.repository.create(
          { jobId, model, ...(version === undefined ? {} : { version }), requestId: options.requestId, requestHash: hash },
          options.idempotencyKey,
        ),
      ),
    );
    if (!created.created) return { job: this.replay(created.job, hash, options.idempotencyKey ?? ''), replayed: true };

    const message: JobMessage = {
      job_id: jobId,
      model,
      ...(version === undefined ? {} : { version }),
      request_id: options.requestId,
      request: request as unknown as Record<string, unknown>,
    };
    try {
      await this.ensureStreams();
      await this.queue.publish(message, options.trace);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      this.logger.error({ err: error, jobId }, 'could not queue a job');
      await this.repository.fail(jobId, `the job could not be queued: ${reason}`).catch(() => undefined);
      if (options.idempotencyKey !== undefined) {
        await this.repository.releaseIdempotencyKey(options.idempotencyKey, jobId).catch(() => undefined);
      }
      throw MspError.unavailable(`the job queue is unavailable, nothing was queued: ${reason}`, error);
    }
    return { job: created.job, replayed: false };
  }

  /** Work nobody will do is refused (503), not queued: no worker seen ever, or for WORKERS_GRACE_MS (checked at most once a second). */
  private async requireWorkers(): Promise<void> {
    if (Date.now() - this.workersCheckedAt > WORKERS_CHECK_MS) {
      const present = await this.queue.hasWorkers().catch(() => true); // unknown: let the publish decide
      this.workersCheckedAt = Date.now();
      if (present) this.workersSeenAt = this.workersCheckedAt;
    }
    if (Date.now() - this.workersSeenAt > WORKERS_GRACE_MS) {
      throw MspError.unavailable('no worker consumes the job queue, so nothing was queued: start a worker (pnpm start runs two)', undefined, 5);
    }
  }

  async get(jobId: string): Promise<JobRecord | undefined> {
    return store(() => this.repository.get(jobId));
  }

  private replay(job: JobRecord | undefined, hash: string, key: string): JobRecord {
    if (!job) {
      throw new ConflictException(`Idempotency-Key '${key}' names a job that no longer exists; use a new key`);
    }
    if (job.request_hash !== hash) {
      throw new UnprocessableEntityException(
        `Idempotency-Key '${key}' was used for a different request (job ${job.job_id}); use a new key for a new request`,
      );
    }
    return job;
  }

  private ensureStreams(): Promise<void> {
    this.streams ??= this.queue.ensureStreams().catch((error: unknown) => {
      this.streams = undefined;
      throw error;
    });
    return this.streams;
  }
}

/** Redis trouble is a 503 with a clear message, not an anonymous 500. */
async function store<T>(operation: () => Promise<T>): Promise<T> {
  try {
    return await operation();
  } catch (error) {
    if (MspError.is(error)) throw error;
    throw MspError.unavailable(`the job store (Redis) is unavailable: ${error instanceof Error ? error.message : String(error)}`, error);
  }
}
