/**
 * Error codes shared by every service. They are HTTP status numbers on purpose: they travel
 * between services in the `Nats-Service-Error-Code` header and the gateway answers with the
 * same number, so no mapping table can drift.
 */
export const ErrorCode = {
  BadRequest: 400,
  /** A management change without its token (parameters). */
  Unauthorized: 401,
  /** A management change with a wrong token. */
  Forbidden: 403,
  NotFound: 404,
  /** The target's state forbids the change (e.g. a rollout already running). */
  Conflict: 409,
  PayloadTooLarge: 413,
  /** Shed: the model (gateway) or the replica (predictor) has as much work as it may take. */
  TooManyRequests: 429,
  Internal: 500,
  Unavailable: 503,
  DeadlineExceeded: 504,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

const KNOWN_CODES = new Set<number>(Object.values(ErrorCode));

export function isErrorCode(value: number): value is ErrorCode {
  return KNOWN_CODES.has(value);
}

/** A failure with a code a client can act on. `message` is shown to the client as is. */
export class MspError extends Error {
  override readonly name = 'MspError';

  /** Seconds after which a retry may succeed (HTTP `Retry-After`); set on shed or broken-circuit answers. */
  readonly retryAfterS: number | undefined;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown; retryAfterS?: number },
  ) {
    super(message, options);
    this.retryAfterS = options?.retryAfterS;
  }

  static badRequest(message: string, cause?: unknown): MspError {
    return new MspError(ErrorCode.BadRequest, message, { cause });
  }

  static notFound(message: string): MspError {
    return new MspError(ErrorCode.NotFound, message);
  }

  static conflict(message: string): MspError {
    return new MspError(ErrorCode.Conflict, message);
  }

  static unavailable(message: string, cause?: unknown, retryAfterS?: number): MspError {
    return new MspError(ErrorCode.Unavailable, message, { cause, retryAfterS });
  }

  static tooManyRequests(message: string, retryAfterS: number): MspError {
    return new MspError(ErrorCode.TooManyRequests, message, { retryAfterS });
  }

  static deadlineExceeded(message: string, cause?: unknown): MspError {
    return new MspError(ErrorCode.DeadlineExceeded, message, { cause });
  }

  static payloadTooLarge(message: string): MspError {
    return new MspError(ErrorCode.PayloadTooLarge, message);
  }

  static internal(message: string, cause?: unknown): MspError {
    return new MspError(ErrorCode.Internal, message, { cause });
  }

  static is(error: unknown): error is MspError {
    return error instanceof MspError;
  }
}

/** The error body of the Open Inference Protocol. */
export interface ErrorBody {
  error: string;
}
