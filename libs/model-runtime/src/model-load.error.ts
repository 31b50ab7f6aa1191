/** A model that cannot be served: the message names the file and what is wrong with it. */
export class ModelLoadError extends Error {
  override readonly name = 'ModelLoadError';

  constructor(
    message: string,
    /** The file at fault (manifest or model). */
    readonly file: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
