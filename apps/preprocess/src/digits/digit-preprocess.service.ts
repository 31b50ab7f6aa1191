import { Inject, Injectable } from '@nestjs/common';
import { formatShape, MspError, type InferRequest } from '@msp/contracts';
import { decodeGreyImage, digitTensor, DigitTransformError, DIGIT_SIDE, ImageDecodeError } from '@msp/preprocessing';
import { PREPROCESS_CONFIG } from '../config/config.module.js';
import type { PreprocessConfig } from '../config/preprocess-config.schema.js';

/** The input this kind takes and the model input it produces. */
export const DIGIT_IMAGE_INPUT = 'image';
export const DIGIT_MODEL_INPUT = 'input';

export type DigitLimits = Pick<PreprocessConfig, 'maxImages' | 'maxImageBytes' | 'maxImagePixels' | 'maxImageSide'>;

/**
 * prep `mnist`: an OIP request with one BYTES input `image` [N] — each element an encoded PNG
 * or JPEG (raw bytes in the binary encoding, a base64 string in JSON) — becomes the request
 * `mnist-*` take: `input` FP32 [N,28,28]. Every failure names the image (by index) and why:
 * 400 for a request or image that is wrong, 413 for one that is too large.
 */
@Injectable()
export class DigitPreprocessService {
  private readonly limits: DigitLimits;

  constructor(@Inject(PREPROCESS_CONFIG) config: PreprocessConfig) {
    this.limits = config;
  }

  async prepare(body: unknown): Promise<InferRequest> {
    const { images, request } = this.readImages(body);
    const tensors = await Promise.all(images.map((bytes, index) => this.tensorOf(bytes, index)));
    const data = new Array<number>(images.length * DIGIT_SIDE * DIGIT_SIDE);
    tensors.forEach((tensor, n) => {
      const offset = n * tensor.length;
      for (let i = 0; i < tensor.length; i++) data[offset + i] = tensor[i] as number;
    });
    return {
      ...(request.id === undefined ? {} : { id: request.id }),
      ...(request.parameters === undefined ? {} : { parameters: request.parameters }),
      inputs: [{ name: DIGIT_MODEL_INPUT, datatype: 'FP32', shape: [images.length, DIGIT_SIDE, DIGIT_SIDE], data }],
      ...(request.outputs === undefined ? {} : { outputs: request.outputs }),
    };
  }

  /** Checks the request's shape and returns each image's bytes (base64 strings decoded). */
  private readImages(body: unknown): { images: Uint8Array[]; request: Omit<InferRequest, 'inputs'> } {
    if (typeof body !== 'object' || body === null || !Array.isArray((body as { inputs?: unknown }).inputs)) {
      throw MspError.badRequest(`invalid request: expected an OIP request with one BYTES input '${DIGIT_IMAGE_INPUT}'`);
    }
    const { inputs, ...request } = body as { inputs: unknown[] } & Omit<InferRequest, 'inputs'>;
    const input = inputs.find((candidate) => (candidate as { name?: unknown } | null)?.name === DIGIT_IMAGE_INPUT) as
      | { datatype?: unknown; shape?: unknown; data?: unknown }
      | undefined;
    if (!input || inputs.length !== 1) {
      throw MspError.badRequest(`expected exactly one input, '${DIGIT_IMAGE_INPUT}' (BYTES [N], one encoded PNG or JPEG each)`);
    }
    const { datatype, shape, data } = input;
    if (datatype !== 'BYTES') {
      throw MspError.badRequest(`input '${DIGIT_IMAGE_INPUT}': datatype must be BYTES (encoded PNG or JPEG), got ${String(datatype)}`);
    }
    if (!Array.isArray(shape) || shape.length !== 1 || !Number.isInteger(shape[0]) || !Array.isArray(data)) {
      throw MspError.badRequest(`input '${DIGIT_IMAGE_INPUT}': shape must be [N] with N images in data`);
    }
    const count = shape[0] as number;
    if (count < 1) throw MspError.badRequest(`input '${DIGIT_IMAGE_INPUT}': no images (shape ${formatShape(shape as number[])})`);
    if (count > this.limits.maxImages) {
      throw MspError.badRequest(`input '${DIGIT_IMAGE_INPUT}': ${count} images, at most ${this.limits.maxImages} per request`);
    }
    if (data.length !== count) {
      throw MspError.badRequest(`input '${DIGIT_IMAGE_INPUT}': shape [${count}] needs ${count} images, data has ${data.length}`);
    }
    const images = data.map((element: unknown, index) => {
      const bytes = toBytes(element, index);
      if (bytes.length === 0) throw MspError.badRequest(`image ${index} is empty (0 bytes)`);
      if (bytes.length > this.limits.maxImageBytes) {
        throw MspError.payloadTooLarge(`image ${index} is ${bytes.length} bytes, over the limit of ${this.limits.maxImageBytes}`);
      }
      return bytes;
    });
    return { images, request };
  }

  private async tensorOf(bytes: Uint8Array, index: number): Promise<Float32Array> {
    try {
      const grey = await decodeGreyImage(bytes, { maxPixels: this.limits.maxImagePixels, maxSide: this.limits.maxImageSide });
      return digitTensor(grey);
    } catch (error) {
      if (error instanceof ImageDecodeError) {
        const message = `image ${index}: ${error.message}`;
        throw error.tooLarge ? MspError.payloadTooLarge(message) : MspError.badRequest(message, error);
      }
      if (error instanceof DigitTransformError) throw MspError.badRequest(`image ${index}: ${error.message}`, error);
      throw error;
    }
  }
}

/** Raw bytes (binary encoding) or a base64 string (JSON). */
function toBytes(element: unknown, index: number): Uint8Array {
  if (element instanceof Uint8Array) return element;
  if (typeof element === 'string') {
    const text = element.replace(/\s/g, '');
    if (!/^[A-Za-z0-9+/_-]*={0,2}$/.test(text)) {
      throw MspError.badRequest(`image ${index}: a string element must be the image in base64`);
    }
    return Buffer.from(text, 'base64');
  }
  throw MspError.badRequest(`image ${index}: expected the encoded image (bytes, or base64 in JSON)`);
}
