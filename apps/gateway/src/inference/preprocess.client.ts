import { Injectable } from '@nestjs/common';
import { Subjects, type InferRequest } from '@msp/contracts';
import { NatsBus } from '@msp/messaging';
import type { InferContext } from '@msp/oip-server';

/**
 * Calls a preprocess service over NATS (prep-pred pattern): an OIP request holding raw input
 * (e.g. encoded images as BYTES, base64 strings in JSON) in, the OIP request a model takes
 * (tensors) out. Both directions in the binary tensor encoding (`application/x-msp-tensor`).
 */
@Injectable()
export class PreprocessClient {
  constructor(private readonly bus: NatsBus) {}

  preprocess(kind: string, request: InferRequest, context: InferContext): Promise<InferRequest> {
    // Binary on the wire: BYTES strings from the JSON edge are base64 (e.g. encoded images) and
    // travel as the bytes they stand for; the reply's tensors come back binary too.
    return this.bus.requestPreprocess(Subjects.prep(kind), request, {
      deadline: context.deadline,
      requestId: context.requestId,
      trace: context.trace,
      stringBytes: 'base64',
    });
  }
}
