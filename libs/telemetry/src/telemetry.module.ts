import { Module, type DynamicModule } from '@nestjs/common';
import { Metrics } from './metrics.js';
import { Readiness } from './readiness.js';

/** Makes the process's Metrics and Readiness (created in main, before Nest) injectable everywhere. */
@Module({})
export class TelemetryModule {
  static forRoot(telemetry: { metrics: Metrics; readiness: Readiness }): DynamicModule {
    return {
      module: TelemetryModule,
      global: true,
      providers: [
        { provide: Metrics, useValue: telemetry.metrics },
        { provide: Readiness, useValue: telemetry.readiness },
      ],
      exports: [Metrics, Readiness],
    };
  }
}
