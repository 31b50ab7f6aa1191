import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import type { InferRequest } from '@msp/contracts';
import { DIGIT_KIND } from './digit-preprocess.endpoints.js';
import { DigitPreprocessService } from './digit-preprocess.service.js';

/** prep `mnist` over NATS (see digit-preprocess.endpoints.ts). */
@Controller()
export class DigitPreprocessController {
  constructor(private readonly digits: DigitPreprocessService) {}

  @MessagePattern(DIGIT_KIND)
  prepare(@Payload() body: unknown): Promise<InferRequest> {
    return this.digits.prepare(body);
  }
}
