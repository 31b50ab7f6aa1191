import { NoRespondersError, RequestError, TimeoutError } from '@nats-io/transport-node';
import { MspError } from '@msp/contracts';

/** Turns what a NATS request can throw into the project's error codes. */
export function fromRequestError(error: unknown, subject: string, timeoutMs: number): MspError {
  if (error instanceof RequestError && error.isNoResponders()) {
    return MspError.unavailable(`no service is answering on '${subject}'`, error);
  }
  if (error instanceof TimeoutError || (error instanceof RequestError && error.cause instanceof TimeoutError)) {
    return MspError.deadlineExceeded(`no answer on '${subject}' within ${Math.round(timeoutMs)} ms`, error);
  }
  if (error instanceof Error && /max_payload|MAX_PAYLOAD/i.test(error.message)) {
    return MspError.payloadTooLarge(`request is larger than the NATS max_payload: ${error.message}`);
  }
  return MspError.unavailable(`request on '${subject}' failed: ${String(error)}`, error);
}

/**
 * "No responders": nobody subscribes to the subject now (a replica that has gone). True for the
 * nats.js error and for the MspError (503) that `fromRequestError` made of it.
 */
export function isNoResponders(error: unknown): boolean {
  const raw = MspError.is(error) ? error.cause : error;
  return raw instanceof NoRespondersError || (raw instanceof RequestError && raw.isNoResponders());
}
