import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern, Payload } from '@nestjs/microservices';
import { parseInferRequest, type InferResponse, type WireInferRequest } from '@msp/contracts';
import type { NatsRequestContext } from '@msp/messaging';
import { InferEndpoints } from './inference.endpoints.js';
import { InferenceService } from './inference.service.js';

/**
 * `msp.infer.<model>`, `msp.infer.<model>.<version>` and this replica's `msp.infer-replica.<model>.<id>` of every
 * served model over NATS (see inference.endpoints.ts).
 * The gateway has validated a request against the model before it comes here; this process
 * checks only what a direct NATS caller could get wrong, once: a JSON body against the OIP
 * schema (a binary body was checked as it decoded: datatypes, shapes against byte counts), then
 * names, datatypes and shapes against the model in the runner.
 */
@Controller()
export class InferenceController {
  constructor(private readonly inference: InferenceService) {}

  @MessagePattern([InferEndpoints.infer, InferEndpoints.inferVersion, InferEndpoints.inferReplica])
  infer(@Payload() body: unknown, @Ctx() context: NatsRequestContext): Promise<InferResponse> {
    const request = context.encoding === 'tensor' ? (body as WireInferRequest) : parseInferRequest(body);
    // Every endpoint is tagged with its model (inference.endpoints.ts); one process may serve several.
    return this.inference.infer(context.tag!, request, { requestId: context.requestId, deadline: context.deadline });
  }
}
