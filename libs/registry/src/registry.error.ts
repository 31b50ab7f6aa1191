import { ErrorCode, MspError } from '@msp/contracts';

/**
 * unknown-model / unknown-version: nothing by that name (the message lists what exists);
 * conflict: the transition is not allowed (e.g. promoting a rejected version);
 * corrupt: an artefact does not match its recorded SHA-256, or is missing.
 */
export type RegistryErrorKind = 'unknown-model' | 'unknown-version' | 'conflict' | 'corrupt';

const CODES: Record<RegistryErrorKind, ErrorCode> = {
  'unknown-model': ErrorCode.NotFound,
  'unknown-version': ErrorCode.NotFound,
  conflict: ErrorCode.BadRequest,
  corrupt: ErrorCode.Internal,
};

/** An MspError (so a service maps it to HTTP as any other) that also says which kind it is. */
export class RegistryError extends MspError {
  constructor(
    readonly kind: RegistryErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(CODES[kind], message, options);
  }

  get isUnknown(): boolean {
    return this.kind === 'unknown-model' || this.kind === 'unknown-version';
  }
}
