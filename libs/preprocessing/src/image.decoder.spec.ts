import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeGreyImage, ImageDecodeError, sniffImageFormat, toGrey } from './image.decoder.js';

const grey = Uint8Array.from({ length: 40 * 30 }, (_, i) => (i * 7) % 256);

describe('decodeGreyImage', () => {
  it('gives a grey PNG its exact pixels back', async () => {
    const png = await sharp(Buffer.from(grey), { raw: { width: 40, height: 30, channels: 1 } }).png().toBuffer();
    const image = await decodeGreyImage(png);
    expect(image).toMatchObject({ width: 40, height: 30 });
    expect(Buffer.from(image.data)).toEqual(Buffer.from(grey));
  });

  it('turns colour (with alpha) into grey and shrinks large images', async () => {
    const rgba = await sharp({ create: { width: 1200, height: 600, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 1 } } })
      .png()
      .toBuffer();
    const image = await decodeGreyImage(rgba, { maxPixels: 10_000_000, maxSide: 512 });
    expect(image).toMatchObject({ width: 512, height: 256 });
    expect(image.data[0]).toBe(76);
    const jpeg = await sharp({ create: { width: 64, height: 64, channels: 3, background: '#ffffff' } }).jpeg().toBuffer();
    expect((await decodeGreyImage(jpeg)).data[0]).toBeGreaterThan(250);
  });

  it('refuses what it cannot decode, naming why', async () => {
    const png = await sharp(Buffer.from(grey), { raw: { width: 40, height: 30, channels: 1 } }).png().toBuffer();
    await expect(decodeGreyImage(new Uint8Array(0))).rejects.toThrow(/empty/);
    await expect(decodeGreyImage(Buffer.from('GIF89a......'))).rejects.toThrow(/not a PNG or JPEG/);
    await expect(decodeGreyImage(png.subarray(0, 60))).rejects.toThrow(/PNG cannot be decoded/);
    const big = await sharp({ create: { width: 3000, height: 2000, channels: 3, background: '#000' } }).png().toBuffer();
    const error = await decodeGreyImage(big, { maxPixels: 1_000_000, maxSide: 512 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ImageDecodeError);
    expect((error as ImageDecodeError).tooLarge).toBe(true);
  });

  it('sniffs PNG and JPEG signatures only', () => {
    expect(sniffImageFormat(Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 13, 10, 26, 10]))).toBe('png');
    expect(sniffImageFormat(Uint8Array.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('jpeg');
    expect(sniffImageFormat(Uint8Array.from([0x42, 0x4d]))).toBeUndefined();
  });

  it('uses integer Rec. 601 luma for colour', () => {
    expect(Array.from(toGrey(Uint8Array.from([255, 255, 255, 0, 0, 255]), 2, 1, 3).data)).toEqual([255, 29]);
  });
});
