import { Module, type DynamicModule } from '@nestjs/common';
import { ConfigModule } from '@msp/config';
import { MessagingModule, NatsServiceModule } from '@msp/messaging';
import { LoggerModule, TelemetryModule, type Logger } from '@msp/telemetry';
import { MONITOR_CONFIG } from './config/config.module.js';
import type { MonitorConfig } from './config/monitor-config.schema.js';
import { monitorTelemetry, type MonitorTelemetry } from './health/monitor.readiness.js';
import { LogConsumer } from './log/log.consumer.js';
import { LogModule } from './log/log.module.js';
import { monitorServiceOptions } from './monitor.endpoints.js';
import { MonitoringFeed } from './monitoring/monitoring.feed.js';
import { MonitoringModule } from './monitoring/monitoring.module.js';

/** One monitor process (prediction-log and prediction-monitoring patterns): JetStream in, a SQL store behind, NATS endpoints, no HTTP. */
@Module({})
export class AppModule {
  static forRoot(config: MonitorConfig, logger: Logger, telemetry: MonitorTelemetry = monitorTelemetry()): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(MONITOR_CONFIG, config),
        LoggerModule.forRoot(logger),
        TelemetryModule.forRoot(telemetry),
        MessagingModule.forRoot({ servers: config.natsServers, jetStreamReplicas: config.jetStreamReplicas, credentials: config.natsCredentials, name: 'monitor' }),
        MonitoringModule,
        LogModule,
        NatsServiceModule.forRootAsync({
          imports: [LogModule, MonitoringModule],
          inject: [MONITOR_CONFIG, LogConsumer, MonitoringFeed],
          useFactory: (monitorConfig: MonitorConfig, consumer: LogConsumer, feed: MonitoringFeed) => monitorServiceOptions(monitorConfig, [consumer, feed]),
        }),
      ],
    };
  }
}
