import { Inject, Injectable } from '@nestjs/common';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { PredictionLogStream } from '@msp/contracts';
import { isTransientJetStreamError, NATS_CONNECTION, retryJetStreamSetup, type NatsConnection, type NatsConsumer } from '@msp/messaging';
import { ensurePredictionLogStream, LOG_PULL_MESSAGES, RECORDS_PER_MESSAGE, unpackRecords } from '@msp/prediction-log';
import { LOGGER, Readiness, type Logger } from '@msp/telemetry';
import { MONITOR_CONFIG } from '../config/config.module.js';
import type { MonitorConfig } from '../config/monitor-config.schema.js';
import { MonitorReadiness } from '../health/monitor.readiness.js';
import { LogStoreRepository, type StoredRecord } from './log-store.repository.js';

const nanos = (ms: number): number => ms * 1_000_000;
/** Writes' worth of records (LOG_BATCH_SIZE each) that may wait in memory before reading pauses. */
const BACKLOG_WRITES = 8;

/**
 * Moves the prediction log from JetStream into the store: a durable pull consumer
 * (`msp-log-store`; replicas share it), records written in batches — what arrived while the
 * previous write ran — and a message acked only once all its records are stored, so a crash
 * loses nothing (a redelivered record is skipped by its position: the message's stream sequence
 * × RECORDS_PER_MESSAGE + its index in the message). A malformed record is logged and dropped.
 */
@Injectable()
export class LogConsumer implements NatsConsumer {
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;
  private pending: { msg: JsMsg; stored: StoredRecord[] }[] = [];
  private writing: Promise<void> | undefined;
  /** Records received and not yet taken by a write. */
  private waiting = 0;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    private readonly store: LogStoreRepository,
    @Inject(MONITOR_CONFIG) private readonly config: MonitorConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly readiness: Readiness,
  ) {}

  async start(): Promise<void> {
    const jsm = await jetstreamManager(this.nc, { timeout: 5_000, checkAPI: false });
    await ensurePredictionLogStream(this.nc);
    const durable = PredictionLogStream.storeConsumer;
    const config = {
      durable_name: durable,
      description: 'the prediction log store (apps/monitor)',
      ack_policy: AckPolicy.Explicit,
      deliver_policy: DeliverPolicy.All,
      ack_wait: nanos(30_000),
      max_ack_pending: 10_000,
    };
    const consumer = await retryJetStreamSetup(async () => {
      try {
        await jsm.consumers.info(PredictionLogStream.name, durable);
      } catch (error) {
        if (isTransientJetStreamError(error)) throw error;
        await jsm.consumers.add(PredictionLogStream.name, config).catch(() => undefined);
      }
      return jetstream(this.nc).consumers.get(PredictionLogStream.name, durable);
    });
    this.messages = await consumer.consume({ max_messages: LOG_PULL_MESSAGES, expires: 30_000 });
    this.loop = this.run(this.messages);
    this.readiness.set(MonitorReadiness.consuming, true);
    this.logger.info({ stream: PredictionLogStream.name, consumer: durable }, 'storing the prediction log');
  }

  async stop(): Promise<void> {
    this.readiness.set(MonitorReadiness.consuming, false);
    await this.messages?.close().catch(() => undefined);
    await this.loop;
    await this.writing;
  }

  private async run(messages: ConsumerMessages): Promise<void> {
    for await (const msg of messages) {
      const { records, malformed } = unpackRecords(msg.data);
      if (malformed > 0) this.logger.warn({ subject: msg.subject, seq: msg.seq, malformed }, 'malformed prediction log records dropped');
      if (records.length === 0) {
        msg.term();
        continue;
      }
      const stored = records.map((record, index) => ({ seq: msg.seq * RECORDS_PER_MESSAGE + index, record }));
      this.pending.push({ msg, stored });
      this.waiting += stored.length;
      this.writing ??= this.write();
      // The next pull goes out only when this loop asks for the next message: while a backlog is
      // read faster than the store writes it, wait for the store instead of holding it all here.
      if (this.waiting >= this.config.batchSize * BACKLOG_WRITES) await this.writing;
    }
  }

  /** Writes what waits, about `batchSize` records at a time, until nothing does; acks each message once its records are in. */
  private async write(): Promise<void> {
    await Promise.resolve();
    while (this.pending.length > 0) {
      let count = 0;
      let take = 0;
      while (take < this.pending.length && (take === 0 || count + this.pending[take]!.stored.length <= this.config.batchSize)) {
        count += this.pending[take]!.stored.length;
        take += 1;
      }
      const batch = this.pending.splice(0, take);
      this.waiting -= count;
      try {
        await this.store.insert(batch.flatMap((item) => item.stored));
        for (const item of batch) item.msg.ack();
      } catch (error) {
        this.logger.error({ err: error, records: count }, 'prediction log write failed: the records will be redelivered');
        for (const item of batch) item.msg.nak(1_000);
      }
    }
    this.writing = undefined;
  }
}
