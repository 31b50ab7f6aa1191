import { Module } from '@nestjs/common';
import { TimeLagController } from './time-lag.controller.js';
import { TimeLagStore } from './time-lag.store.js';

/**
 * The multi-stage (time-lag) pattern's later answers: stored in Redis by the graph engine,
 * read back by id or as Server-Sent Events (`/v1/time-lag/...`). Needs the global RedisModule.
 */
@Module({
  controllers: [TimeLagController],
  providers: [TimeLagStore],
  exports: [TimeLagStore],
})
export class TimeLagModule {}
