import { headers as natsHeaders, type Msg, type MsgHdrs, type NatsConnection } from '@nats-io/transport-node';
import { ServiceError } from '@nats-io/services';
import {
  ContentTypes,
  decodeInferRequest,
  decodeInferResponse,
  encodeInferRequest,
  ErrorCode,
  Headers,
  isErrorCode,
  MspError,
  remainingMs,
  subjectTemplate,
  type InferRequest,
  type InferResponse,
  type TensorEncodeOptions,
  type WireInferRequest,
} from '@msp/contracts';
import { headerSetter, injectTrace, SpanKind, withSpan, type SpanOptions, type TraceContext } from '@msp/telemetry';
import { fromRequestError } from './nats.errors.js';

export interface BusRequestOptions {
  /** Absolute deadline (epoch ms); the request's timeout is what remains of it. */
  deadline: number;
  requestId: string;
  headers?: Record<string, string>;
  /** The caller's trace: the request's span is its child, and the service's span the span's. */
  trace?: TraceContext | undefined;
}

/** For the binary requests: how BYTES strings become bytes (base64 for images from the JSON edge). */
export interface BusTensorRequestOptions extends BusRequestOptions, TensorEncodeOptions {}

/** Room left for the message's headers (request id, deadline, content type, trace) under max_payload. */
const HEADER_ALLOWANCE_BYTES = 1024;

/**
 * Native NATS request-reply with the project's headers and JSON bodies, so the `nats` CLI and
 * any other client speak to our services too. A failed call always ends as an MspError.
 */
export class NatsBus {
  /**
   * `state`: whether the connection is up (NatsConnectionState). While it is down a request
   * fails at once with 503 instead of waiting in nats.js's reconnect buffer for its whole
   * deadline: a NATS restart costs clients a fast retry, not a hang.
   */
  constructor(
    readonly connection: NatsConnection,
    private readonly state?: { readonly isConnected: boolean },
  ) {}

  request<T>(subject: string, body: unknown, options: BusRequestOptions): Promise<T> {
    return withSpan(`nats request ${subjectTemplate(subject)}`, clientSpan(subject, options), (trace) => this.requestJson<T>(subject, body, options, trace));
  }

  private async requestJson<T>(subject: string, body: unknown, options: BusRequestOptions, trace: TraceContext | undefined): Promise<T> {
    const timeout = remainingMs(options.deadline);
    if (timeout <= 0) throw MspError.deadlineExceeded(`deadline passed before calling '${subject}'`);
    this.checkConnected(subject);
    let reply;
    try {
      reply = await this.connection.request(subject, JSON.stringify(body), {
        timeout,
        headers: requestHeaders(options, trace),
      });
    } catch (error) {
      throw fromRequestError(error, subject, timeout);
    }
    throwServiceError(reply);
    return reply.json<T>();
  }

  /**
   * An inference request in the binary tensor encoding (`application/x-msp-tensor`); the reply
   * is decoded whether the service answers in binary or JSON. A request over the server's
   * `max_payload` is refused with 413 before anything is sent.
   */
  async requestInfer(
    subject: string,
    request: InferRequest | WireInferRequest,
    options: BusTensorRequestOptions,
  ): Promise<InferResponse> {
    const reply = await this.requestTensors(subject, request, options);
    return decodeReply(reply, subject, (data) => decodeInferResponse(data));
  }

  /**
   * Like `requestInfer`, for services that answer with a request for the next hop (preprocess:
   * raw input in, the model's tensors out).
   */
  async requestPreprocess(
    subject: string,
    request: InferRequest | WireInferRequest,
    options: BusTensorRequestOptions,
  ): Promise<InferRequest> {
    const reply = await this.requestTensors(subject, request, options);
    return decodeReply(reply, subject, (data) => decodeInferRequest(data));
  }

  /**
   * An OIP request in the binary encoding to a service that answers JSON about it (e.g. the
   * prediction cache's lookup: hit with the response, or miss with a key).
   */
  async requestAbout<T>(subject: string, request: InferRequest | WireInferRequest, options: BusTensorRequestOptions): Promise<T> {
    const reply = await this.requestTensors(subject, request, options);
    return decodeReply(reply, subject, () => {
      throw new Error('expected a JSON reply');
    });
  }

  private checkConnected(subject: string): void {
    if (this.state !== undefined && !this.state.isConnected) {
      throw MspError.unavailable(`not connected to NATS (reconnecting): '${subject}' cannot be called now; retry shortly`, undefined, 1);
    }
  }

  /** The largest body this connection may publish (the server's max_payload less header room). */
  get maxBodyBytes(): number {
    return (this.connection.info?.max_payload ?? 1024 * 1024) - HEADER_ALLOWANCE_BYTES;
  }

  private requestTensors(
    subject: string,
    request: InferRequest | WireInferRequest,
    options: BusTensorRequestOptions,
  ): Promise<Msg> {
    return withSpan(`nats request ${subjectTemplate(subject)}`, clientSpan(subject, options), (trace) => this.sendTensors(subject, request, options, trace));
  }

  private async sendTensors(
    subject: string,
    request: InferRequest | WireInferRequest,
    options: BusTensorRequestOptions,
    trace: TraceContext | undefined,
  ): Promise<Msg> {
    const timeout = remainingMs(options.deadline);
    if (timeout <= 0) throw MspError.deadlineExceeded(`deadline passed before calling '${subject}'`);
    this.checkConnected(subject);
    const payload = encodeInferRequest(request, options);
    if (payload.length > this.maxBodyBytes) {
      throw MspError.payloadTooLarge(
        `request of ${payload.length} bytes is larger than the ${this.maxBodyBytes} bytes a NATS message may carry ` +
          `(max_payload): send fewer or smaller inputs`,
      );
    }
    let reply: Msg;
    try {
      reply = await this.connection.request(subject, payload, {
        timeout,
        headers: requestHeaders(options, trace, ContentTypes.tensor),
      });
    } catch (error) {
      throw fromRequestError(error, subject, timeout);
    }
    throwServiceError(reply);
    return reply;
  }
}

function throwServiceError(reply: Msg): void {
  const serviceError = ServiceError.toServiceError(reply);
  if (serviceError) {
    const code = isErrorCode(serviceError.code) ? serviceError.code : ErrorCode.Internal;
    throw new MspError(code, serviceError.message);
  }
}

/** A reply in binary (by its content type) or JSON; a malformed one is the service's fault (500). */
function decodeReply<T>(reply: Msg, subject: string, decodeBinary: (data: Uint8Array) => T): T {
  try {
    if (reply.headers?.get(Headers.contentType) === ContentTypes.tensor) return decodeBinary(reply.data);
    return reply.json<T>();
  } catch (error) {
    throw MspError.internal(`malformed reply from '${subject}'`, error);
  }
}

function requestHeaders(options: BusRequestOptions, trace: TraceContext | undefined, contentType: string = ContentTypes.json): MsgHdrs {
  const headers = natsHeaders();
  headers.set(Headers.requestId, options.requestId);
  headers.set(Headers.deadline, String(options.deadline));
  headers.set(Headers.contentType, contentType);
  for (const [key, value] of Object.entries(options.headers ?? {})) headers.set(key, value);
  // The request's span becomes the parent of the service's span.
  injectTrace(headers, headerSetter, trace);
  return headers;
}

function clientSpan(subject: string, options: BusRequestOptions): SpanOptions {
  const attributes = { 'messaging.system': 'nats', 'messaging.destination.name': subject, 'messaging.destination.template': subjectTemplate(subject) };
  return { kind: SpanKind.CLIENT, parent: options.trace, attributes };
}
