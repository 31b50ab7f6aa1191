import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { MspError } from '@msp/contracts';
import { loadPreprocessConfig } from '../config/preprocess-config.schema.js';
import { DigitPreprocessService } from './digit-preprocess.service.js';

const service = new DigitPreprocessService(
  loadPreprocessConfig({ MAX_IMAGES: '4', MAX_IMAGE_BYTES: '300000', MAX_IMAGE_PIXELS: '1000000', LOG_LEVEL: 'silent' }),
);

/** A dark vertical stroke on white paper, as a phone photo of a "1" would give. */
async function strokePng(width: number, height: number): Promise<Buffer> {
  const stroke = await sharp({ create: { width: Math.max(2, Math.round(width / 12)), height: Math.round(height * 0.7), channels: 3, background: '#111' } })
    .png()
    .toBuffer();
  return sharp({ create: { width, height, channels: 3, background: '#f4f4f0' } })
    .composite([{ input: stroke, gravity: 'centre' }])
    .png()
    .toBuffer();
}

function request(data: unknown[], extra: Record<string, unknown> = {}): unknown {
  return { ...extra, inputs: [{ name: 'image', datatype: 'BYTES', shape: [data.length], data }] };
}

async function failure(promise: Promise<unknown>): Promise<MspError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  expect(MspError.is(error), String(error)).toBe(true);
  return error as MspError;
}

describe('DigitPreprocessService', () => {
  it('turns images (bytes or base64) into the mnist request, keeping id, parameters and outputs', async () => {
    const png = await strokePng(90, 120);
    const prepared = await service.prepare(
      request([new Uint8Array(png), png.toString('base64')], { id: 'x', parameters: { p: 1 }, outputs: [{ name: 'label' }] }),
    );
    expect(prepared).toMatchObject({ id: 'x', parameters: { p: 1 }, outputs: [{ name: 'label' }] });
    const [input] = prepared.inputs;
    expect(input).toMatchObject({ name: 'input', datatype: 'FP32', shape: [2, 28, 28] });
    const data = input!.data as number[];
    expect(data.slice(0, 784)).toEqual(data.slice(784));
    // The stroke is ink (1) in the middle column, the paper background (0) at the corners.
    expect(data[14 * 28 + 14]).toBe(1);
    expect(data[0]).toBe(0);
  });

  it('answers 413 for an image over the byte or the pixel limit', async () => {
    const bytes = await failure(service.prepare(request([new Uint8Array(300_001).fill(1)])));
    expect([bytes.code, bytes.message]).toEqual([413, 'image 0 is 300001 bytes, over the limit of 300000']);
    const wide = await sharp({ create: { width: 2000, height: 1000, channels: 3, background: '#fff' } }).png().toBuffer();
    const pixels = await failure(service.prepare(request([await strokePng(40, 40), wide])));
    expect([pixels.code, pixels.message]).toEqual([413, 'image 1: image has more than 1000000 pixels']);
  });

  it('answers 400 naming the image for bad elements, and for too many images', async () => {
    const notBase64 = await failure(service.prepare(request(['not base64!'])));
    expect([notBase64.code, notBase64.message]).toEqual([400, 'image 0: a string element must be the image in base64']);
    expect((await failure(service.prepare(request([42])))).message).toMatch(/image 0: expected the encoded image/);
    const tooMany = await failure(service.prepare(request(['a', 'b', 'c', 'd', 'e'])));
    expect([tooMany.code, tooMany.message]).toEqual([400, "input 'image': 5 images, at most 4 per request"]);
    expect((await failure(service.prepare({ inputs: 'x' }))).code).toBe(400);
    expect((await failure(service.prepare(null))).code).toBe(400);
    const shape = await failure(service.prepare({ inputs: [{ name: 'image', datatype: 'BYTES', shape: [2], data: ['a'] }] }));
    expect(shape.message).toMatch(/shape \[2\] needs 2 images, data has 1/);
  });
});
