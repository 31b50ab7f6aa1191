import { Module, type DynamicModule, type InjectionToken, type ModuleMetadata } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { LOGGER, Metrics, Readiness, type Logger } from '@msp/telemetry';
import { NATS_CONNECTION } from './messaging.module.js';
import { NatsConnectionState } from './nats.connection.js';
import { NatsTransport, type NatsServiceOptions } from './nats.transport.js';

export interface NatsServiceModuleOptions {
  /** Modules whose providers `useFactory` needs (e.g. the loaded model for the metadata). */
  imports?: ModuleMetadata['imports'];
  inject?: InjectionToken[];
  useFactory: (...args: never[]) => NatsServiceOptions | Promise<NatsServiceOptions>;
}

const NATS_SERVICE_OPTIONS = Symbol.for('msp.nats-service-options');

/**
 * Provides the app's `NatsTransport`, built from the NATS connection (MessagingModule) and the
 * options the app derives from its own providers. `startNatsService` / `connectNatsService`
 * hand it to Nest as the microservice strategy.
 */
@Module({})
export class NatsServiceModule {
  static forRootAsync(options: NatsServiceModuleOptions): DynamicModule {
    return {
      module: NatsServiceModule,
      global: true,
      imports: options.imports ?? [],
      providers: [
        { provide: NATS_SERVICE_OPTIONS, inject: options.inject ?? [], useFactory: options.useFactory },
        {
          provide: NatsTransport,
          inject: [NATS_CONNECTION, NatsConnectionState, LOGGER, Metrics, Readiness, NATS_SERVICE_OPTIONS],
          useFactory: (
            nc: NatsConnection,
            natsState: NatsConnectionState,
            logger: Logger,
            metrics: Metrics,
            readiness: Readiness,
            serviceOptions: NatsServiceOptions,
          ) => new NatsTransport({ nc, natsState, logger, metrics, readiness }, serviceOptions),
        },
      ],
      exports: [NatsTransport],
    };
  }
}
