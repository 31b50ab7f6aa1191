import { Module, type DynamicModule } from '@nestjs/common';
import { LOGGER, type Logger } from '@msp/telemetry';

/** Makes the process's logger injectable everywhere as LOGGER. */
@Module({})
export class LoggerModule {
  static forRoot(logger: Logger): DynamicModule {
    return {
      module: LoggerModule,
      global: true,
      providers: [{ provide: LOGGER, useValue: logger }],
      exports: [LOGGER],
    };
  }
}
