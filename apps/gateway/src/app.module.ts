import { Module, type DynamicModule } from '@nestjs/common';
import { MessagingModule } from '@msp/messaging';
import { OipHttpModule } from '@msp/oip-server';
import { RedisModule } from '@msp/redis';
import { createLogger, LoggerModule, type Logger } from '@msp/telemetry';
import type { GatewayConfig } from './config/gateway-config.schema.js';
import { InferenceModule } from './inference/inference.module.js';
import { NatsBackend } from './inference/nats.backend.js';

export const GATEWAY_SERVICE = { name: 'msp-gateway', version: '0.1.0' } as const;

/** The REST edge of the synchronous pattern: OIP v2 over HTTP, predictors over NATS. */
@Module({})
export class AppModule {
  static forRoot(
    config: GatewayConfig,
    logger: Logger = createLogger({ service: 'gateway', level: config.logLevel }),
  ): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LoggerModule.forRoot(logger),
        MessagingModule.forRoot({ servers: config.natsServers, name: GATEWAY_SERVICE.name }),
        RedisModule.forRoot({ url: config.redisUrl, name: GATEWAY_SERVICE.name }),
        OipHttpModule.forRoot({
          imports: [InferenceModule.forRoot({ discoveryIntervalMs: config.discoveryIntervalMs })],
          backend: NatsBackend,
          timeouts: { defaultMs: config.requestTimeoutMs, maxMs: config.maxTimeoutMs },
          server: GATEWAY_SERVICE,
        }),
      ],
    };
  }
}
