import { headers as natsHeaders, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import { ServiceError } from '@nats-io/services';
import { ContentTypes, Headers, isErrorCode, MspError, ErrorCode, remainingMs } from '@msp/contracts';
import { fromRequestError } from './nats.errors.js';

export interface BusRequestOptions {
  /** Absolute deadline (epoch ms); the request's timeout is what remains of it. */
  deadline: number;
  requestId: string;
  headers?: Record<string, string>;
}

/**
 * Native NATS request-reply with the project's headers and JSON bodies, so the `nats` CLI and
 * any other client speak to our services too. A failed call always ends as an MspError.
 */
export class NatsBus {
  constructor(readonly connection: NatsConnection) {}

  async request<T>(subject: string, body: unknown, options: BusRequestOptions): Promise<T> {
    const timeout = remainingMs(options.deadline);
    if (timeout <= 0) throw MspError.deadlineExceeded(`deadline passed before calling '${subject}'`);
    let reply;
    try {
      reply = await this.connection.request(subject, JSON.stringify(body), {
        timeout,
        headers: requestHeaders(options),
      });
    } catch (error) {
      throw fromRequestError(error, subject, timeout);
    }
    const serviceError = ServiceError.toServiceError(reply);
    if (serviceError) {
      const code = isErrorCode(serviceError.code) ? serviceError.code : ErrorCode.Internal;
      throw new MspError(code, serviceError.message);
    }
    return reply.json<T>();
  }
}

function requestHeaders(options: BusRequestOptions): MsgHdrs {
  const headers = natsHeaders();
  headers.set(Headers.requestId, options.requestId);
  headers.set(Headers.deadline, String(options.deadline));
  headers.set(Headers.contentType, ContentTypes.json);
  for (const [key, value] of Object.entries(options.headers ?? {})) headers.set(key, value);
  return headers;
}
