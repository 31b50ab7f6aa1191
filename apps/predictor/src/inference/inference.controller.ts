import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import type { InferRequest, InferResponse } from '@msp/contracts';
import type { NatsRequestContext } from '@msp/messaging';
import { InferEndpoints } from './inference.endpoints.js';
import { InferRequestPipe } from './infer-request.pipe.js';
import { InferenceService } from './inference.service.js';

/** `msp.infer.<model>` and `msp.infer.<model>.<version>` over NATS (see inference.endpoints.ts). */
@Controller()
export class InferenceController {
  constructor(private readonly inference: InferenceService) {}

  @MessagePattern([InferEndpoints.infer, InferEndpoints.inferVersion])
  infer(@Payload(InferRequestPipe) request: InferRequest, @Ctx() context: NatsRequestContext): Promise<InferResponse> {
    return this.inference.infer(request, { requestId: context.requestId, deadline: context.deadline });
  }
}
