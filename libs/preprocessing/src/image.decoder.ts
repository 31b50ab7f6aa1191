import sharp, { type OutputInfo } from 'sharp';
import type { GreyImage } from './digit.transform.js';

/** Limits of what the decoder accepts. */
export interface DecodeLimits {
  /** Images with more pixels than this are refused before they are decoded (413). */
  maxPixels: number;
  /** Larger images are shrunk (aspect kept) to fit this square before the digit transform. */
  maxSide: number;
}

export const DEFAULT_DECODE_LIMITS: DecodeLimits = { maxPixels: 40_000_000, maxSide: 512 };

/** Why an image could not be decoded: `tooLarge` (pixels) or anything else (corrupt, unsupported). */
export class ImageDecodeError extends Error {
  override readonly name = 'ImageDecodeError';

  constructor(
    message: string,
    readonly tooLarge: boolean,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export type ImageFormat = 'png' | 'jpeg';

/** PNG or JPEG by their signatures; anything else is not ours to decode. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | undefined {
  if (bytes.length >= 8 && bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'png';
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) return 'jpeg';
  return undefined;
}

/**
 * Decodes a PNG or JPEG into 8-bit grey pixels: EXIF orientation applied (phone photos),
 * transparency flattened onto white paper, shrunk to fit `maxSide` when larger, colour to
 * grey with the integer Rec. 601 luma. An image that already fits and is grey (e.g. a PNG of
 * an MNIST digit) comes out with exactly its own pixel values.
 */
export async function decodeGreyImage(bytes: Uint8Array, limits: DecodeLimits = DEFAULT_DECODE_LIMITS): Promise<GreyImage> {
  if (bytes.length === 0) throw new ImageDecodeError('image is empty (0 bytes)', false);
  const format = sniffImageFormat(bytes);
  if (!format) throw new ImageDecodeError('not a PNG or JPEG image (unknown signature)', false);
  let raw: { data: Buffer; info: OutputInfo };
  try {
    const image = sharp(bytes, { limitInputPixels: limits.maxPixels, failOn: 'error', sequentialRead: true });
    raw = await image
      .rotate()
      .flatten({ background: '#ffffff' })
      .resize({ width: limits.maxSide, height: limits.maxSide, fit: 'inside', withoutEnlargement: true })
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    if (/pixel limit/i.test(message)) {
      throw new ImageDecodeError(`image has more than ${limits.maxPixels} pixels`, true, { cause });
    }
    throw new ImageDecodeError(`${format.toUpperCase()} cannot be decoded: ${message.split('\n')[0]}`, false, { cause });
  }
  return toGrey(raw.data, raw.info.width, raw.info.height, raw.info.channels);
}

/** 1 (grey), 2 (grey + alpha), 3 (RGB) or 4 (RGBA) interleaved channels → grey; alpha ignored. */
export function toGrey(data: Uint8Array, width: number, height: number, channels: number): GreyImage {
  const pixels = width * height;
  if (data.length < pixels * channels) throw new ImageDecodeError('decoded image is shorter than its size', false);
  const grey = new Uint8Array(pixels);
  if (channels <= 2) {
    for (let i = 0; i < pixels; i++) grey[i] = data[i * channels] as number;
  } else {
    for (let i = 0; i < pixels; i++) {
      const at = i * channels;
      grey[i] = Math.floor(
        (299 * (data[at] as number) + 587 * (data[at + 1] as number) + 114 * (data[at + 2] as number) + 500) / 1000,
      );
    }
  }
  return { width, height, data: grey };
}
