import { Injectable } from '@nestjs/common';
import { Subjects, type InferRequest } from '@msp/contracts';
import { NatsBus } from '@msp/messaging';
import type { InferContext } from '@msp/oip-server';

/**
 * Calls a preprocess service over NATS (prep-pred pattern): an OIP request holding raw input
 * (e.g. encoded images as BYTES) in, the OIP request a model takes (tensors) out.
 */
@Injectable()
export class PreprocessClient {
  constructor(private readonly bus: NatsBus) {}

  preprocess(kind: string, request: InferRequest, context: InferContext): Promise<InferRequest> {
    return this.bus.request<InferRequest>(Subjects.prep(kind), request, {
      deadline: context.deadline,
      requestId: context.requestId,
    });
  }
}
