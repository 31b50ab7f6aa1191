import { Inject, Injectable } from '@nestjs/common';
import { AckPolicy, DeliverPolicy, jetstream, jetstreamManager, type ConsumerMessages, type JsMsg } from '@nats-io/jetstream';
import { PredictionLogStream, PredictionRecordSchema, type PredictionRecord } from '@msp/contracts';
import { isTransientJetStreamError, NATS_CONNECTION, retryJetStreamSetup, type NatsConnection, type NatsConsumer } from '@msp/messaging';
import { ensurePredictionLogStream } from '@msp/prediction-log';
import { LOGGER, Readiness, type Logger } from '@msp/telemetry';
import { MONITOR_CONFIG } from '../config/config.module.js';
import type { MonitorConfig } from '../config/monitor-config.schema.js';
import { MonitorReadiness } from '../health/monitor.readiness.js';
import { LogStoreRepository, type StoredRecord } from './log-store.repository.js';

const nanos = (ms: number): number => ms * 1_000_000;

/**
 * Moves the prediction log from JetStream into the store: a durable pull consumer
 * (`msp-log-store`; replicas share it), records written in batches — what arrived while the
 * previous write ran — and acked only once stored, so a crash loses nothing (a redelivered
 * record is skipped by its stream sequence). A malformed record is logged and dropped.
 */
@Injectable()
export class LogConsumer implements NatsConsumer {
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;
  private pending: { msg: JsMsg; stored: StoredRecord }[] = [];
  private writing: Promise<void> | undefined;

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
    this.messages = await consumer.consume({ max_messages: this.config.batchSize * 2, expires: 30_000 });
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
      let record: PredictionRecord;
      try {
        record = PredictionRecordSchema.parse(msg.json());
      } catch (error) {
        this.logger.warn({ err: error, subject: msg.subject, seq: msg.seq }, 'malformed prediction log record dropped');
        msg.term();
        continue;
      }
      this.pending.push({ msg, stored: { seq: msg.seq, record } });
      this.writing ??= this.write();
    }
  }

  /** Writes what waits, batch after batch, until nothing does. */
  private async write(): Promise<void> {
    await Promise.resolve();
    while (this.pending.length > 0) {
      const batch = this.pending.splice(0, this.config.batchSize);
      try {
        await this.store.insert(batch.map((item) => item.stored));
        for (const item of batch) item.msg.ack();
      } catch (error) {
        this.logger.error({ err: error, records: batch.length }, 'prediction log write failed: the records will be redelivered');
        for (const item of batch) item.msg.nak(1_000);
      }
    }
    this.writing = undefined;
  }
}
