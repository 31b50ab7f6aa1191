import { Module, type DynamicModule } from '@nestjs/common';
import { MessagingModule } from '@msp/messaging';
import { LoggerModule, type Logger } from '@msp/telemetry';
import { ConfigModule } from './config/config.module.js';
import type { PreprocessConfig } from './config/preprocess-config.schema.js';
import { DigitsModule } from './digits/digits.module.js';

/** One preprocess process (prep-pred pattern): NATS in, NATS out, no HTTP. */
@Module({})
export class AppModule {
  static forRoot(config: PreprocessConfig, logger: Logger): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        LoggerModule.forRoot(logger),
        MessagingModule.forRoot({ servers: config.natsServers, name: 'preprocess' }),
        DigitsModule,
      ],
    };
  }
}
