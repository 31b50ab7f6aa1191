/** Limits and deadlines of the upload route. */
export interface UploadOptions {
  /** A larger file is refused with 413 (multipart bodies do not go through Fastify's bodyLimit). */
  maxFileBytes: number;
  /** More files in one upload are refused with 413. */
  maxFiles: number;
  timeouts: { defaultMs: number; maxMs: number };
}

export const UPLOAD_OPTIONS = Symbol.for('msp.upload-options');

/** The model the upload route serves when the URL does not name one (the prep-pred pipeline). */
export const DEFAULT_UPLOAD_MODEL = 'mnist-image';
/** Name of the BYTES input the upload becomes. */
export const UPLOAD_INPUT = 'image';
/** Files per upload; more are refused with 413 (a batch of digits fits one NATS message well below this). */
export const UPLOAD_MAX_FILES = 256;
