import { headers as natsHeaders, type NatsConnection, type MsgHdrs } from '@nats-io/transport-node';
import { Svcm, type Service, type ServiceMsg } from '@nats-io/services';
import {
  ContentTypes,
  decodeTensorMessage,
  encodeTensorMessage,
  ErrorCode,
  Headers,
  MspError,
  parseDeadline,
  remainingMs,
  subjectTemplate,
  type InferRequest,
  type InferResponse,
} from '@msp/contracts';
import {
  extractTrace,
  failSpan,
  headerGetter,
  newRequestId,
  SpanKind,
  traceFields,
  tracingEnabled,
  withSpan,
  type Logger,
  type RequestObserver,
  type Span,
  type TraceContext,
} from '@msp/telemetry';

export interface MicroServiceConfig {
  name: string;
  version: string;
  description: string;
  metadata: Record<string, string>;
}

export interface EndpointConfig {
  name: string;
  subject: string;
  /** Replicas in one queue group share the load. */
  queue: string;
  metadata?: Record<string, string>;
  /**
   * BYTES elements of a binary (`application/x-msp-tensor`) body: as UTF-8 strings (default,
   * the shape `parseInferRequest` takes) or as raw `Uint8Array`s (e.g. encoded images).
   */
  bytesAs?: 'utf8' | 'raw';
  /** When given, every request is counted and timed here, with the status code it ended with. */
  metrics?: RequestObserver;
}

/** How a binary body decodes: BYTES as strings or raw bytes; numbers as number[] or typed arrays. */
export interface BodyDecoding {
  bytesAs: 'utf8' | 'raw';
  numbersAs?: 'array' | 'typed';
}

/** How a request body arrived; the reply goes back the same way. */
export type BodyEncoding = 'json' | 'tensor';

export interface EndpointRequest {
  subject: string;
  /**
   * The decoded body: parsed JSON, or for a binary body the OIP request (or response) it
   * holds, with numbers as number[] and BYTES as `EndpointConfig.bytesAs` says.
   */
  body: unknown;
  encoding: BodyEncoding;
  requestId: string;
  /** Absolute deadline (epoch ms) from the caller, or the endpoint's default. */
  deadline: number;
  headers: MsgHdrs | undefined;
  /** The caller's trace with this endpoint's span in it, for the calls the handler makes (undefined when off). */
  trace?: TraceContext | undefined;
}

export type EndpointHandler = (request: EndpointRequest) => Promise<unknown>;

/** Registers a NATS micro service, discoverable through `$SRV.PING|INFO|STATS.<name>`. */
export function addMicroService(nc: NatsConnection, config: MicroServiceConfig): Promise<Service> {
  return new Svcm(nc).add({ ...config, queue: '' });
}

/**
 * Serves one endpoint: JSON or binary tensors in (by `Content-Type`), the reply in the same
 * encoding (binary when the handler returns an OIP request or response), errors as `Nats-Service-Error(-Code)` headers plus an
 * `{error}` body. Work whose caller's deadline has already passed is dropped, not done for nobody.
 */
export function addEndpoint(
  service: Service,
  config: EndpointConfig,
  handler: EndpointHandler,
  logger: Logger,
  defaultTimeoutMs: number,
): void {
  service.addEndpoint(config.name, {
    subject: config.subject,
    queue: config.queue,
    metadata: config.metadata ?? {},
    handler: (error, msg) => {
      if (error) {
        logger.error({ err: error, endpoint: config.name }, 'endpoint subscription failed');
        return;
      }
      void respond(msg, handler, logger, defaultTimeoutMs, { bytesAs: config.bytesAs ?? 'utf8' }, config.metrics);
    },
  });
}

/**
 * Answers one request of a micro-service endpoint (shared by `addEndpoint` and `NatsTransport`):
 * drops it when the caller's deadline has passed, decodes the body, runs the handler, replies
 * in the caller's encoding or with the error headers, and counts it.
 */
export function respond(
  msg: ServiceMsg,
  handler: EndpointHandler,
  logger: Logger,
  defaultTimeoutMs: number,
  decoding: BodyDecoding,
  metrics: RequestObserver | undefined,
): Promise<void> {
  if (!tracingEnabled()) return answer(msg, handler, logger, defaultTimeoutMs, decoding, metrics, undefined, undefined);
  // A child of the caller's span (its traceparent header), handed to the handler.
  const template = subjectTemplate(msg.subject);
  const options = {
    kind: SpanKind.SERVER,
    parent: extractTrace(msg.headers, headerGetter),
    attributes: { 'messaging.system': 'nats', 'messaging.destination.name': msg.subject, 'messaging.destination.template': template },
  };
  return withSpan(`nats serve ${template}`, options, (trace, span) =>
    answer(msg, handler, logger, defaultTimeoutMs, decoding, metrics, span, trace),
  );
}

async function answer(
  msg: ServiceMsg,
  handler: EndpointHandler,
  logger: Logger,
  defaultTimeoutMs: number,
  decoding: BodyDecoding,
  metrics: RequestObserver | undefined,
  span: Span | undefined,
  trace: TraceContext | undefined,
): Promise<void> {
  const started = performance.now();
  const requestId = msg.headers?.get(Headers.requestId) || newRequestId();
  const deadline = parseDeadline(msg.headers?.get(Headers.deadline)) ?? Date.now() + defaultTimeoutMs;
  if (remainingMs(deadline) <= 0) {
    logger.warn({ ...traceFields(trace), requestId, subject: msg.subject }, 'dropped a request whose deadline had passed');
    metrics?.observe(ErrorCode.DeadlineExceeded, (performance.now() - started) / 1000);
    return;
  }
  try {
    const encoding: BodyEncoding = msg.headers?.get(Headers.contentType) === ContentTypes.tensor ? 'tensor' : 'json';
    const body = decodeBody(msg, encoding, decoding);
    const result = await handler({ subject: msg.subject, body, encoding, requestId, deadline, headers: msg.headers, trace });
    if (remainingMs(deadline) <= 0) {
      logger.warn({ ...traceFields(trace), requestId, subject: msg.subject }, 'finished after the caller’s deadline');
    }
    sendReply(msg, result, encoding);
    metrics?.observe(200, (performance.now() - started) / 1000);
  } catch (error) {
    const failure = MspError.is(error) ? error : MspError.internal('internal error', error);
    span?.setAttribute('msp.status_code', failure.code);
    if (span && failure.code >= ErrorCode.Internal) failSpan(span, failure);
    if (failure.code >= ErrorCode.Internal) {
      logger.error({ ...traceFields(trace), err: error, requestId, subject: msg.subject }, failure.message);
    }
    // Header values cannot hold line breaks.
    const message = failure.message.replace(/[\r\n]+/g, ' ');
    msg.respondError(failure.code, message, JSON.stringify({ error: message }));
    metrics?.observe(failure.code, (performance.now() - started) / 1000);
  }
}

function decodeBody(msg: ServiceMsg, encoding: BodyEncoding, decoding: BodyDecoding): unknown {
  if (encoding === 'tensor') {
    const message = decodeTensorMessage(msg.data, decoding);
    return message.kind === 'request' ? message.request : message.response;
  }
  try {
    return msg.json();
  } catch (cause) {
    throw MspError.badRequest('request body is not valid JSON', cause);
  }
}

function isTensorMessage(value: unknown): value is InferRequest | InferResponse {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return Array.isArray(record['inputs']) || (typeof record['model_name'] === 'string' && Array.isArray(record['outputs']));
}

/** Replies in the caller's encoding; a reply over `max_payload` becomes a 413, not a lost message. */
function sendReply(msg: ServiceMsg, result: unknown, encoding: BodyEncoding): void {
  let payload: Uint8Array | string;
  let headers: MsgHdrs | undefined;
  if (encoding === 'tensor' && isTensorMessage(result)) {
    payload = encodeTensorMessage(result);
    headers = natsHeaders();
    headers.set(Headers.contentType, ContentTypes.tensor);
  } else {
    payload = JSON.stringify(result);
  }
  try {
    msg.respond(payload, headers ? { headers } : undefined);
  } catch (error) {
    if (error instanceof Error && /max_payload/i.test(error.message)) {
      const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.length;
      throw MspError.payloadTooLarge(
        `the reply (${size} bytes) is larger than a NATS message may carry (max_payload): send fewer or smaller inputs`,
      );
    }
    throw error;
  }
}
