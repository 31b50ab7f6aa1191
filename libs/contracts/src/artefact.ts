import { z } from 'zod';

/**
 * A predictor's answer on `msp.artefact.<model>.<version>`: the ONNX file it runs, base64 in
 * JSON (the models here are well under NATS `max_payload`; a larger one is refused with a 413
 * by the predictor's reply path), with its SHA-256 so every hop can check it.
 */
export const ArtefactReplySchema = z.object({
  model: z.string(),
  version: z.string(),
  sha256: z.string().regex(/^[a-f0-9]{64}$/),
  bytes: z.number().int().positive(),
  /** The ONNX file, base64. */
  onnx: z.string().min(1),
});
export type ArtefactReply = z.infer<typeof ArtefactReplySchema>;

/** The HTTP header that carries the served artefact's SHA-256 (hex), checked by the console before it runs the file. */
export const ARTEFACT_DIGEST_HEADER = 'x-msp-sha256';
