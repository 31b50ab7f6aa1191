import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { LOGGER, type Logger } from '@msp/telemetry';
import { NatsBus } from './nats.bus.js';
import { connectNats, NatsConnectionState, type NatsOptions } from './nats.connection.js';

export const NATS_CONNECTION = Symbol.for('msp.nats-connection');

/** Drains the connection on shutdown so in-flight replies are still delivered. */
class NatsDrainer implements OnApplicationShutdown {
  constructor(
    @Inject(NATS_CONNECTION) private readonly nc: NatsConnection,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async onApplicationShutdown(): Promise<void> {
    if (this.nc.isClosed()) return;
    await this.nc.drain();
    this.logger.info('NATS connection drained');
  }
}

/** One NATS connection per process, with the bus and its state, for the whole app. Needs LOGGER. */
@Module({})
export class MessagingModule {
  static forRoot(options: NatsOptions): DynamicModule {
    return {
      module: MessagingModule,
      global: true,
      providers: [
        {
          provide: NATS_CONNECTION,
          inject: [LOGGER],
          useFactory: (logger: Logger) => connectNats(options, logger),
        },
        {
          provide: NatsBus,
          inject: [NATS_CONNECTION, NatsConnectionState],
          useFactory: (nc: NatsConnection, state: NatsConnectionState) => new NatsBus(nc, state),
        },
        {
          provide: NatsConnectionState,
          inject: [NATS_CONNECTION, LOGGER],
          useFactory: (nc: NatsConnection, logger: Logger) => new NatsConnectionState(nc, logger),
        },
        NatsDrainer,
      ],
      exports: [NATS_CONNECTION, NatsBus, NatsConnectionState],
    };
  }
}
