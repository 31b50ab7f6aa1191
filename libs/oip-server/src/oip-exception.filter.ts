import { Catch, HttpException, Inject, NotFoundException, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { ErrorCode, MspError, type ErrorBody } from '@msp/contracts';
import { LOGGER, traceFields, type Logger } from '@msp/telemetry';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpHeaders } from './http-headers.js';
import { traceOf } from './http-tracing.js';
import { requestIdOf } from './request-context.js';

interface Failure {
  status: number;
  message: string;
  retryAfterS?: number;
}

/**
 * The one place where failures become HTTP responses: `{"error": "<message>"}` with the status
 * of the MspError code (codes are HTTP statuses), Fastify's own errors (bad JSON, body too
 * large, unsupported content type, unknown route) in the same shape, anything unexpected as
 * a logged 500 "internal error". Every failed request is logged with its request id.
 */
@Catch()
export class OipExceptionFilter implements ExceptionFilter {
  constructor(@Inject(LOGGER) private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    // Global filters also see other transports' errors; those are not ours to answer.
    if (host.getType() !== 'http') throw exception;
    const http = host.switchToHttp();
    const request = http.getRequest<FastifyRequest>();
    const reply = http.getResponse<FastifyReply>();
    const failure = toFailure(exception, request);
    const requestId = requestIdOf(request);
    const context = { ...traceFields(traceOf(request)), requestId, method: request.method, url: request.url, status: failure.status };
    if (failure.status >= 500) {
      // Expected failures (no predictor, deadline) are logged by message; the rest with the error.
      const expected = MspError.is(exception) && exception.code !== ErrorCode.Internal;
      this.logger.error(expected ? { ...context, error: failure.message } : { ...context, err: exception }, 'request failed');
    } else {
      this.logger.info({ ...context, error: failure.message }, 'request failed');
    }
    if (reply.sent) return;
    const body: ErrorBody = { error: failure.message };
    if (failure.retryAfterS !== undefined) void reply.header(HttpHeaders.retryAfter, String(failure.retryAfterS));
    void reply.status(failure.status).header(HttpHeaders.requestId, requestId).send(body);
  }
}

function toFailure(exception: unknown, request: FastifyRequest): Failure {
  if (MspError.is(exception)) {
    const { code, message, retryAfterS } = exception;
    return retryAfterS === undefined ? { status: code, message } : { status: code, message, retryAfterS };
  }
  if (exception instanceof HttpException) {
    const cause = exception.cause;
    if (hasStatusCode(cause)) return fromFrameworkError(cause, request);
    if (exception instanceof NotFoundException && exception.message.startsWith('Cannot ')) {
      return { status: 404, message: `no route ${request.method} ${request.url}` };
    }
    const status = exception.getStatus();
    return status >= 500 ? internal() : { status, message: exception.message };
  }
  // Errors Fastify passes on as they are (e.g. a request stream that failed) carry a statusCode.
  if (hasStatusCode(exception) && exception.statusCode >= 400 && exception.statusCode < 500) {
    return fromFrameworkError(exception, request);
  }
  return internal();
}

function internal(): Failure {
  return { status: ErrorCode.Internal, message: 'internal error' };
}

interface FrameworkError {
  statusCode: number;
  code?: unknown;
  message?: unknown;
}

function hasStatusCode(value: unknown): value is FrameworkError {
  return typeof value === 'object' && value !== null && typeof (value as FrameworkError).statusCode === 'number';
}

/** Fastify's errors, with messages that tell an OIP client what to do. */
function fromFrameworkError(error: FrameworkError, request: FastifyRequest): Failure {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return { status: 400, message: 'the request body is not valid JSON' };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return { status: 400, message: 'the request body is empty: send an inference request as application/json' };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        status: ErrorCode.PayloadTooLarge,
        message: `the request body is larger than this server accepts${limitOf(request)}`,
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE': {
      const type = request.headers['content-type'];
      const given = type ? `content type '${type}' is not supported` : 'the request has a body but no content type';
      return { status: 415, message: `${given}: send application/json` };
    }
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return { status: 400, message: 'the request body does not match its Content-Length' };
    default:
      if (error.statusCode >= 500) return internal();
      return {
        status: error.statusCode,
        message: typeof error.message === 'string' && error.message ? error.message : 'bad request',
      };
  }
}

function limitOf(request: FastifyRequest): string {
  const limit = request.routeOptions.bodyLimit;
  return typeof limit === 'number' ? ` (the limit is ${limit} bytes)` : '';
}
