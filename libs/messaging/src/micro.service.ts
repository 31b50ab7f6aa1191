import type { NatsConnection, MsgHdrs } from '@nats-io/transport-node';
import { Svcm, type Service, type ServiceMsg } from '@nats-io/services';
import { ErrorCode, Headers, MspError, parseDeadline, remainingMs } from '@msp/contracts';
import { newRequestId, type Logger } from '@msp/telemetry';

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
}

export interface EndpointRequest {
  subject: string;
  /** The decoded JSON body. */
  body: unknown;
  requestId: string;
  /** Absolute deadline (epoch ms) from the caller, or the endpoint's default. */
  deadline: number;
  headers: MsgHdrs | undefined;
}

export type EndpointHandler = (request: EndpointRequest) => Promise<unknown>;

/** Registers a NATS micro service, discoverable through `$SRV.PING|INFO|STATS.<name>`. */
export function addMicroService(nc: NatsConnection, config: MicroServiceConfig): Promise<Service> {
  return new Svcm(nc).add({ ...config, queue: '' });
}

/**
 * Serves one endpoint: JSON in, JSON out, errors as `Nats-Service-Error(-Code)` headers plus an
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
      void respond(msg, handler, logger, defaultTimeoutMs);
    },
  });
}

async function respond(msg: ServiceMsg, handler: EndpointHandler, logger: Logger, defaultTimeoutMs: number): Promise<void> {
  const requestId = msg.headers?.get(Headers.requestId) || newRequestId();
  const deadline = parseDeadline(msg.headers?.get(Headers.deadline)) ?? Date.now() + defaultTimeoutMs;
  if (remainingMs(deadline) <= 0) {
    logger.warn({ requestId, subject: msg.subject }, 'dropped a request whose deadline had passed');
    return;
  }
  try {
    let body: unknown;
    try {
      body = msg.json();
    } catch (cause) {
      throw MspError.badRequest('request body is not valid JSON', cause);
    }
    const result = await handler({ subject: msg.subject, body, requestId, deadline, headers: msg.headers });
    if (remainingMs(deadline) <= 0) {
      logger.warn({ requestId, subject: msg.subject }, 'finished after the caller’s deadline');
    }
    msg.respond(JSON.stringify(result));
  } catch (error) {
    const failure = MspError.is(error) ? error : MspError.internal('internal error', error);
    if (failure.code >= ErrorCode.Internal) {
      logger.error({ err: error, requestId, subject: msg.subject }, failure.message);
    }
    // Header values cannot hold line breaks.
    const message = failure.message.replace(/[\r\n]+/g, ' ');
    msg.respondError(failure.code, message, JSON.stringify({ error: message }));
  }
}
