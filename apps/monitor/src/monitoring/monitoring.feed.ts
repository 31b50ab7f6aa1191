import { Inject, Injectable } from '@nestjs/common';
import { DeliverPolicy, jetstream, type ConsumerMessages } from '@nats-io/jetstream';
import { PredictionLogStream } from '@msp/contracts';
import { NATS_CONNECTION, retryJetStreamSetup, type NatsConnection, type NatsConsumer } from '@msp/messaging';
import { ensurePredictionLogStream, LOG_PULL_MESSAGES, unpackRecords } from '@msp/prediction-log';
import { LOGGER, type Logger } from '@msp/telemetry';
import { MONITOR_CONFIG } from '../config/config.module.js';
import type { MonitorConfig } from '../config/monitor-config.schema.js';
import { MonitoringService } from './monitoring.service.js';

/**
 * What prediction monitoring sees: every record of the log, through an ordered consumer of this
 * process's own that starts one window back. So a restarted monitor reads its window back (a few
 * messages a pull: LOG_PULL_MESSAGES), and each replica sees all of the log — not the share of it
 * that the store's durable consumer (shared by the replicas) hands it.
 */
@Injectable()
export class MonitoringFeed implements NatsConsumer {
  private messages: ConsumerMessages | undefined;
  private loop: Promise<void> | undefined;

  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(MONITOR_CONFIG) private readonly config: MonitorConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    private readonly monitoring: MonitoringService,
  ) {}

  async start(): Promise<void> {
    await ensurePredictionLogStream(this.nc);
    const from = new Date(Date.now() - this.config.monitoring.windowMs).toISOString();
    // Like the store's durable consumer, a JetStream that answers late (a busy server) is retried, not fatal.
    this.messages = await retryJetStreamSetup(async () => {
      const consumer = await jetstream(this.nc).consumers.get(PredictionLogStream.name, {
        deliver_policy: DeliverPolicy.StartTime,
        opt_start_time: from,
      });
      return consumer.consume({ max_messages: LOG_PULL_MESSAGES });
    });
    this.loop = this.run(this.messages);
    this.logger.info({ stream: PredictionLogStream.name, from }, 'monitoring the prediction log from one window back');
  }

  async stop(): Promise<void> {
    await this.messages?.close().catch(() => undefined);
    await this.loop;
  }

  private async run(messages: ConsumerMessages): Promise<void> {
    for await (const msg of messages) {
      // A malformed record is the store consumer's to report; here it is only skipped.
      const { records } = unpackRecords(msg.data);
      if (records.length > 0) this.monitoring.add(records);
    }
  }
}
