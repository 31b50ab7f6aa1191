import { Module } from '@nestjs/common';
import { DigitPreprocessHandler } from './digit-preprocess.handler.js';
import { DigitPreprocessService } from './digit-preprocess.service.js';

/** prep `mnist`: encoded digit images → the tensors of `mnist-*`. */
@Module({ providers: [DigitPreprocessService, DigitPreprocessHandler] })
export class DigitsModule {}
