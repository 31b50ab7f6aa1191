import { Global, Module } from '@nestjs/common';
import { RECORD_LISTENERS } from './log/log.consumer.js';

/** Who is told of the records once stored (prediction monitoring adds itself). */
@Global()
@Module({
  providers: [{ provide: RECORD_LISTENERS, useValue: [] }],
  exports: [RECORD_LISTENERS],
})
export class ListenersModule {}
