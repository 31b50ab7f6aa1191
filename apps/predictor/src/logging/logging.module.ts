import { Global, Module, type DynamicModule } from '@nestjs/common';
import { LOGGER, type Logger } from '@msp/telemetry';

/** The process's pino logger under LOGGER, for every module (messaging and oip-server need it). */
@Global()
@Module({})
export class LoggingModule {
  static forRoot(logger: Logger): DynamicModule {
    return {
      module: LoggingModule,
      providers: [{ provide: LOGGER, useValue: logger }],
      exports: [LOGGER],
    };
  }
}
