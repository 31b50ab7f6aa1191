import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule } from '@msp/config';
import { MessagingModule } from '@msp/messaging';
import { LoggerModule, TelemetryModule, type Logger } from '@msp/telemetry';

import { PREPROCESS_CONFIG } from './config/config.module.js';
import type { PreprocessConfig } from './config/preprocess-config.schema.js';
import { DigitsModule } from './digits/digits.module.js';
import { preprocessTelemetry, type PreprocessTelemetry } from './health/preprocess.readiness.js';

/** One preprocess process (prep-pred pattern): NATS in, NATS out, no HTTP. */
@Module({})
export class AppModule {
  static forRoot(config: PreprocessConfig, logger: Logger, telemetry: PreprocessTelemetry = preprocessTelemetry()): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(PREPROCESS_CONFIG, config),
        LoggerModule.forRoot(logger),
        TelemetryModule.forRoot(telemetry),
        MessagingModule.forRoot({ servers: config.natsServers, jetStreamReplicas: config.jetStreamReplicas, credentials: config.natsCredentials, name: 'preprocess' }),
        DigitsModule,
      ],
    };
  }
}
