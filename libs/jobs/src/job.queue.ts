import {
  AckPolicy,
  DeliverPolicy,
  DiscardPolicy,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  RetentionPolicy,
  StorageType,
  type Consumer,
  type ConsumerConfig,
  type JetStreamClient,
  type JetStreamManager,
  type PubAck,
} from '@nats-io/jetstream';
import { headers as natsHeaders, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { JobHeaders, type DeadLetter, type JobMessage, type JobQueueNames } from '@msp/contracts';
import { ensureStream, isTransientJetStreamError, retryJetStreamSetup, type StreamSpec } from '@msp/messaging';
import { headerSetter, injectTrace, type TraceContext } from '@msp/telemetry';

const CONSUMER_NOT_FOUND = 10014;
/** A model name that is one literal subject token (no dots or wildcards). */
const SUBJECT_TOKEN = /^[A-Za-z0-9_-]+$/;
const nanos = (ms: number): number => ms * 1_000_000;

/** JetStream API calls (create, publish acks) wait at most this long. */
export const JETSTREAM_TIMEOUT_MS = 5_000;
/** A job queued this long ago is dropped by the stream: its Redis record has long expired. */
const JOB_MAX_AGE_MS = 7 * 24 * 3_600_000;
/** Dead letters are kept this long for inspection (`nats stream view <NS>_JOBS_DEAD`). */
const DEAD_LETTER_MAX_AGE_MS = 7 * 24 * 3_600_000;
/** Beyond this many queued jobs a submit is refused (503) instead of growing the stream without bound. */
export const MAX_QUEUED_JOBS = 1_000_000;

/**
 * A job JetStream gave up redelivering: its last delivery was neither acked nor nak-ed within
 * ack_wait (the worker died or hung on the last attempt). The message is still in the stream.
 */
export interface ExhaustedJob {
  seq: number;
  deliveries: number;
  /** The message body, or undefined when it is gone from the stream already. */
  data: Uint8Array | undefined;
}

interface MaxDeliveriesAdvisory {
  stream?: string;
  consumer?: string;
  stream_seq?: number;
  deliveries?: number;
}

export interface ConsumerSettings {
  /** How long a delivered job may go without an ack or an in-progress signal before it is redelivered. */
  ackWaitMs: number;
  /** Deliveries of one job at most; after the last failed one it is dead-lettered. */
  maxDeliver: number;
  /** Jobs delivered and not yet acked, across all workers. */
  maxAckPending?: number;
}

export function jobStreamConfig(names: JobQueueNames): StreamSpec {
  return {
    name: names.stream,
    description: 'asynchronous inference jobs (work queue: a job is removed once a worker acks it)',
    subjects: [names.subjects],
    retention: RetentionPolicy.Workqueue,
    storage: StorageType.File,
    discard: DiscardPolicy.New,
    max_msgs: MAX_QUEUED_JOBS,
    max_age: nanos(JOB_MAX_AGE_MS),
    // Nats-Msg-Id (the job id) de-duplicates a publish retried within this window.
    duplicate_window: nanos(120_000),
  };
}

export function deadLetterStreamConfig(names: JobQueueNames): StreamSpec {
  return {
    name: names.deadStream,
    description: 'jobs that failed for good, with the reason',
    subjects: [names.deadSubjects],
    retention: RetentionPolicy.Limits,
    storage: StorageType.File,
    discard: DiscardPolicy.Old,
    max_msgs: 100_000,
    max_age: nanos(DEAD_LETTER_MAX_AGE_MS),
  };
}

export function workerConsumerConfig(names: JobQueueNames, settings: ConsumerSettings): Partial<ConsumerConfig> {
  return {
    durable_name: names.consumer,
    description: 'the workers of the asynchronous pattern (shared pull consumer)',
    ack_policy: AckPolicy.Explicit,
    deliver_policy: DeliverPolicy.All,
    filter_subject: names.subjects,
    ack_wait: nanos(settings.ackWaitMs),
    max_deliver: settings.maxDeliver,
    max_ack_pending: settings.maxAckPending ?? 10_000,
  };
}

function isApiError(error: unknown, code: number): boolean {
  return error instanceof JetStreamApiError && error.code === code;
}

/**
 * Creates the job stream and the dead-letter stream, or brings an existing one to this
 * configuration; safe to call from every gateway and worker at start, concurrently.
 */
export async function ensureJobStreams(nc: NatsConnection, names: JobQueueNames): Promise<void> {
  await ensureStream(nc, jobStreamConfig(names));
  await ensureStream(nc, deadLetterStreamConfig(names));
}

/** The shared durable pull consumer, created or updated to these settings. */
export async function ensureWorkerConsumer(
  jsm: JetStreamManager,
  names: JobQueueNames,
  settings: ConsumerSettings,
): Promise<void> {
  const config = workerConsumerConfig(names, settings);
  try {
    await jsm.consumers.info(names.stream, names.consumer);
  } catch (error) {
    if (!isApiError(error, CONSUMER_NOT_FOUND)) throw error;
    try {
      await jsm.consumers.add(names.stream, config);
      return;
    } catch (added) {
      if (isTransientJetStreamError(added)) throw added;
      // Another worker created it meanwhile: fall through to the update.
    }
  }
  await jsm.consumers.update(names.stream, names.consumer, {
    description: config.description,
    ack_wait: config.ack_wait,
    max_deliver: config.max_deliver,
    max_ack_pending: config.max_ack_pending,
  });
}

/**
 * The queue side of the asynchronous pattern over one NATS connection: publishing jobs (with
 * the job id as `Nats-Msg-Id`, so a retried publish is stored once), dead letters, and the
 * workers' consumer.
 */
export class JobQueue {
  private readonly js: JetStreamClient;

  constructor(
    private readonly nc: NatsConnection,
    readonly names: JobQueueNames,
  ) {
    this.js = jetstream(nc, { timeout: JETSTREAM_TIMEOUT_MS });
  }

  manager(): Promise<JetStreamManager> {
    return jetstreamManager(this.nc, { timeout: JETSTREAM_TIMEOUT_MS, checkAPI: false });
  }

  async ensureStreams(): Promise<void> {
    await ensureJobStreams(this.nc, this.names);
  }

  async ensureConsumer(settings: ConsumerSettings): Promise<void> {
    await retryJetStreamSetup(async () => ensureWorkerConsumer(await this.manager(), this.names, settings));
  }

  /**
   * Whether any worker consumes the queue now: the shared consumer has a pull request waiting
   * (an idle worker) or jobs delivered and not yet acked (a busy one). False when the consumer
   * does not exist (no worker ever started).
   */
  async hasWorkers(): Promise<boolean> {
    const jsm = await this.manager();
    try {
      const info = await jsm.consumers.info(this.names.stream, this.names.consumer);
      return info.num_waiting > 0 || info.num_ack_pending > 0;
    } catch (error) {
      if (error instanceof Error && /consumer not found|stream not found/i.test(error.message)) return false;
      throw error;
    }
  }

  /**
   * Resolves once JetStream has stored the job (a PubAck); rejects otherwise. The submit's
   * trace travels with the job: the worker's span links back to it.
   */
  publish(job: JobMessage, trace?: TraceContext): Promise<PubAck> {
    const headers = natsHeaders();
    headers.set(JobHeaders.msgId, job.job_id);
    injectTrace(headers, headerSetter, trace);
    return this.js.publish(this.names.subject(job.model), JSON.stringify(job), {
      msgID: job.job_id,
      headers,
      expect: { streamName: this.names.stream },
      timeout: JETSTREAM_TIMEOUT_MS,
    });
  }

  async deadLetter(letter: DeadLetter): Promise<PubAck> {
    return this.js.publish(this.names.deadSubject(letter.model !== undefined && SUBJECT_TOKEN.test(letter.model) ? letter.model : 'unknown'), JSON.stringify(letter), {
      expect: { streamName: this.names.deadStream },
      timeout: JETSTREAM_TIMEOUT_MS,
    });
  }

  /**
   * Calls `handler` for every job that reached max_deliver without an answer (the server's
   * MAX_DELIVERIES advisory; one worker of the queue group gets each). The handler records the
   * end and calls `remove`. Errors are the handler's to log; the subscription never throws.
   */
  onExhausted(handler: (job: ExhaustedJob) => Promise<void>): Subscription {
    const subject = `$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${this.names.stream}.${this.names.consumer}`;
    return this.nc.subscribe(subject, {
      queue: `${this.names.consumer}-advisories`,
      callback: (error, msg) => {
        if (error) return;
        let advisory: MaxDeliveriesAdvisory;
        try {
          advisory = msg.json<MaxDeliveriesAdvisory>();
        } catch {
          return;
        }
        const seq = advisory.stream_seq;
        if (typeof seq !== 'number') return;
        void this.manager()
          .then((jsm) => jsm.streams.getMessage(this.names.stream, { seq }))
          .catch(() => null)
          .then((stored) => handler({ seq, deliveries: advisory.deliveries ?? 0, data: stored?.data }))
          .catch(() => undefined);
      },
    });
  }

  /** Removes one job's message from the work queue (after its end has been recorded). */
  async remove(seq: number): Promise<void> {
    const jsm = await this.manager();
    await jsm.streams.deleteMessage(this.names.stream, seq, false).catch((error: unknown) => {
      // Already gone is fine: the point is that it is not there.
      if (!(error instanceof JetStreamApiError && /no message found/i.test(error.message))) throw error;
    });
  }

  consumer(): Promise<Consumer> {
    return this.js.consumers.get(this.names.stream, this.names.consumer);
  }
}
