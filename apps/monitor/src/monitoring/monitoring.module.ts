import { Global, Module } from '@nestjs/common';
import { LogModule } from '../log/log.module.js';
import { MonitoringController } from './monitoring.controller.js';
import { MonitoringFeed } from './monitoring.feed.js';
import { MonitoringService } from './monitoring.service.js';

/**
 * Prediction monitoring over the log's records (its own feed of them) and the stored ground truth
 * (global: the feedback endpoint tells it of new ground truth at once).
 */
@Global()
@Module({
  imports: [LogModule],
  controllers: [MonitoringController],
  providers: [MonitoringService, MonitoringFeed],
  exports: [MonitoringService, MonitoringFeed],
})
export class MonitoringModule {}
