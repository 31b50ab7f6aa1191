import { Injectable, type PipeTransform } from '@nestjs/common';
import { parseInferRequest, type InferRequest } from '@msp/contracts';

/** The body of a NATS inference request as an OIP request (a 400 when it is not one). */
@Injectable()
export class InferRequestPipe implements PipeTransform<unknown, InferRequest> {
  transform(body: unknown): InferRequest {
    return parseInferRequest(body);
  }
}
