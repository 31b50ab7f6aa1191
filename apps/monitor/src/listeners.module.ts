import { Global, Module } from '@nestjs/common';
import { RECORD_LISTENERS } from './log/log.consumer.js';

/** Who is told of the records once stored; none yet (prediction monitoring subscribes here). */
@Global()
@Module({
  providers: [{ provide: RECORD_LISTENERS, useValue: [] }],
  exports: [RECORD_LISTENERS],
})
export class ListenersModule {}
