import { Inject, Module, type DynamicModule, type OnApplicationBootstrap, type OnApplicationShutdown } from '@nestjs/common';
import type { PredictionLogSettings } from '@msp/config';
import { NATS_CONNECTION, NatsConnectionState, type NatsConnection } from '@msp/messaging';
import { LOGGER, Metrics, type Logger } from '@msp/telemetry';
import { PredictionLog } from './prediction-log.publisher.js';

class PredictionLogLifecycle implements OnApplicationBootstrap, OnApplicationShutdown {
  constructor(@Inject(PredictionLog) private readonly log: PredictionLog) {}

  onApplicationBootstrap(): Promise<void> {
    return this.log.start();
  }

  /** What waits is published before the connection drains. */
  onApplicationShutdown(): void {
    this.log.flush();
  }
}

/** Makes PredictionLog injectable everywhere (needs MessagingModule; Metrics when present). */
@Module({})
export class PredictionLogModule {
  static forRoot(settings: PredictionLogSettings): DynamicModule {
    return {
      module: PredictionLogModule,
      global: true,
      providers: [
        {
          provide: PredictionLog,
          inject: [NATS_CONNECTION, NatsConnectionState, LOGGER, { token: Metrics, optional: true }],
          useFactory: (nc: NatsConnection, state: NatsConnectionState, logger: Logger, metrics: Metrics | undefined) =>
            new PredictionLog(nc, settings, () => state.isConnected, metrics, logger),
        },
        PredictionLogLifecycle,
      ],
      exports: [PredictionLog],
    };
  }
}
