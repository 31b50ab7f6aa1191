import { Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import type { Logger } from 'pino';
import { LOGGER } from './tokens.js';
import { stopTracing } from './tracing.js';

/** Exports the spans still buffered before the process exits (nothing when tracing is off). */
class TracingFlush implements OnApplicationShutdown {
  onApplicationShutdown(): Promise<void> {
    return stopTracing();
  }
}

/**
 * Makes the process's logger (created in main, before Nest) injectable everywhere as LOGGER,
 * and flushes the process's spans on shutdown.
 */
@Module({})
export class LoggerModule {
  static forRoot(logger: Logger): DynamicModule {
    return {
      module: LoggerModule,
      global: true,
      providers: [{ provide: LOGGER, useValue: logger }, TracingFlush],
      exports: [LOGGER],
    };
  }
}
