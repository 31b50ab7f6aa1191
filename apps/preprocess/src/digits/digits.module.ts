import { Module } from '@nestjs/common';
import { NatsServiceModule } from '@msp/messaging';
import { PREPROCESS_CONFIG } from '../config/config.module.js';
import type { PreprocessConfig } from '../config/preprocess-config.schema.js';
import { digitServiceOptions } from './digit-preprocess.endpoints.js';
import { DigitPreprocessController } from './digit-preprocess.controller.js';
import { DigitPreprocessService } from './digit-preprocess.service.js';

/** prep `mnist`: encoded digit images → the tensors of `mnist-*`. */
@Module({
  imports: [
    NatsServiceModule.forRootAsync({
      inject: [PREPROCESS_CONFIG],
      useFactory: (config: PreprocessConfig) => digitServiceOptions(config),
    }),
  ],
  controllers: [DigitPreprocessController],
  providers: [DigitPreprocessService],
})
export class DigitsModule {}
