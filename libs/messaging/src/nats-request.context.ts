import { BaseRpcContext } from '@nestjs/microservices';
import type { MsgHdrs } from '@nats-io/transport-node';
import type { TraceContext } from '@msp/telemetry';
import type { BodyEncoding, EndpointRequest } from './micro.service.js';

/**
 * What a NATS handler (`@MessagePattern` method) may want besides the body: read it with
 * `@Ctx() context: NatsRequestContext`. The body itself is the `@Payload()`.
 */
export class NatsRequestContext extends BaseRpcContext<[EndpointRequest]> {
  constructor(
    request: EndpointRequest,
    /** The endpoint's `EndpointSpec.tag` (e.g. the model a predictor's endpoint serves). */
    readonly tag?: string,
  ) {
    super([request]);
  }

  private get request(): EndpointRequest {
    return this.args[0];
  }

  get subject(): string {
    return this.request.subject;
  }

  get requestId(): string {
    return this.request.requestId;
  }

  /** Absolute deadline (epoch ms) of the caller, or the endpoint's default. */
  get deadline(): number {
    return this.request.deadline;
  }

  /** The caller's trace with this endpoint's span in it (undefined when tracing is off). */
  get trace(): TraceContext | undefined {
    return this.request.trace;
  }

  get encoding(): BodyEncoding {
    return this.request.encoding;
  }

  get headers(): MsgHdrs | undefined {
    return this.request.headers;
  }
}
