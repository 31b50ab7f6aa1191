import { Injectable } from '@nestjs/common';
import { Subjects, type InferRequest, type InferResponse } from '@msp/contracts';
import { NatsBus } from '@msp/messaging';
import type { InferContext } from '@msp/oip-server';
import { RequestBatcher } from './request-batcher.js';

/**
 * Calls one predictor model over NATS request-reply, bounded by the caller's deadline. Every
 * path of the gateway that needs a prediction (the OIP routes, graph steps, async-free
 * routes) goes through here, so the wire encoding and batching of writes live in one place.
 */
@Injectable()
export class PredictorClient {
  private readonly batcher = new RequestBatcher();

  constructor(private readonly bus: NatsBus) {}

  infer(model: string, version: string | undefined, request: InferRequest, context: InferContext): Promise<InferResponse> {
    const subject = version === undefined ? Subjects.infer(model) : Subjects.inferVersion(model, version);
    return this.batcher.run(() =>
      // Binary tensors on the internal hop (DESIGN §7: JSON of a 784-float image costs twice the inference).
      this.bus.requestInfer(subject, request, { deadline: context.deadline, requestId: context.requestId }),
    );
  }
}
