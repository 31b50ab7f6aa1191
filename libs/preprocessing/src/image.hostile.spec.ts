import fc from 'fast-check';
import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';
import { beforeAll, describe, expect, it } from 'vitest';
import { decodeGreyImage, ImageDecodeError } from './image.decoder.js';

/**
 * Hostile images: whatever bytes arrive as a PNG or JPEG, the decoder answers pixels or an
 * ImageDecodeError (the services turn it into a 400, or a 413 when it is too large), never
 * another exception; a decompression bomb is refused before it is decoded. Fixed seed,
 * bounded runs (each case is a real libvips decode).
 */
const runs = { seed: 20_261_130, numRuns: 120 };

async function pixelsOrDecodeError(bytes: Uint8Array): Promise<void> {
  try {
    const image = await decodeGreyImage(bytes);
    expect(image.data.length).toBe(image.width * image.height);
  } catch (error) {
    if (!(error instanceof ImageDecodeError)) throw error;
  }
}

describe('hostile images', () => {
  let png: Buffer;
  let jpeg: Buffer;

  beforeAll(async () => {
    const digit = sharp({ create: { width: 28, height: 28, channels: 3, background: '#ffffff' } });
    png = await digit.clone().png().toBuffer();
    jpeg = await digit.clone().jpeg().toBuffer();
  });

  it('random bytes behind a PNG or JPEG signature are a decode error', async () => {
    const signature = fc.constantFrom(Uint8Array.of(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a), Uint8Array.of(0xff, 0xd8, 0xff));
    await fc.assert(
      fc.asyncProperty(signature, fc.uint8Array({ maxLength: 512 }), async (head, tail) => {
        const bytes = new Uint8Array(head.length + tail.length);
        bytes.set(head);
        bytes.set(tail, head.length);
        await pixelsOrDecodeError(bytes);
      }),
      runs,
    );
  });

  it('real images truncated or with bytes overwritten decode or are a decode error', async () => {
    const damaged = fc.tuple(fc.boolean(), fc.nat(), fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }));
    await fc.assert(
      fc.asyncProperty(damaged, async ([usePng, cut, edits]) => {
        const source = usePng ? png : jpeg;
        const bytes = Uint8Array.from(source.subarray(0, Math.max(3, cut % (source.length + 1))));
        for (const [at, byte] of edits) bytes[at % bytes.length] = byte;
        await pixelsOrDecodeError(bytes);
      }),
      runs,
    );
  });

  it('refuses a decompression bomb (a PNG that says 20,000 × 20,000 in a few bytes) as too large, before decoding it', async () => {
    const bomb = pngClaiming(20_000, 20_000);
    expect(bomb.length).toBeLessThan(1024);
    const before = process.memoryUsage().rss;
    const error = await decodeGreyImage(bomb).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ImageDecodeError);
    expect((error as ImageDecodeError).tooLarge).toBe(true);
    // 400 megapixels decoded would need 400 MB at the least.
    expect(process.memoryUsage().rss - before).toBeLessThan(100 * 1024 * 1024);
  }, 60_000);
});

/** A grey 8-bit PNG whose header claims `width` × `height` pixels, with one tiny zlib stream behind it. */
function pngClaiming(width: number, height: number): Uint8Array {
  const chunk = (type: string, data: Buffer): Buffer => {
    const length = Buffer.alloc(4);
    length.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4);
    crc.writeUInt32BE(crc32(body));
    return Buffer.concat([length, body, crc]);
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 0; // grey
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(Buffer.alloc(width + 1))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}
