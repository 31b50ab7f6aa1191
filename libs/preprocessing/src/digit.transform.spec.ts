import { describe, expect, it } from 'vitest';
import {
  DIGIT_PIXELS,
  DIGIT_SIDE,
  digitTensor,
  digitTensorFromUnitFloats,
  DigitTransformError,
  greyFromUnitFloats,
  type GreyImage,
} from './digit.transform.js';

/** A bar `w × h` of full ink at (x, y) on a `width × height` background of `paper`. */
function bar(width: number, height: number, x: number, y: number, w: number, h: number, paper: number, ink: number): GreyImage {
  const data = new Uint8Array(width * height).fill(paper);
  for (let row = y; row < y + h; row++) data.fill(ink, row * width + x, row * width + x + w);
  return { width, height, data };
}

function inkBox(tensor: Float32Array): { width: number; height: number; cx: number; cy: number } {
  let left = DIGIT_SIDE, right = -1, top = DIGIT_SIDE, bottom = -1, mass = 0, sx = 0, sy = 0;
  for (let y = 0; y < DIGIT_SIDE; y++) {
    for (let x = 0; x < DIGIT_SIDE; x++) {
      const v = tensor[y * DIGIT_SIDE + x] as number;
      if (v > 0) {
        left = Math.min(left, x); right = Math.max(right, x); top = Math.min(top, y); bottom = Math.max(bottom, y);
        mass += v; sx += (x + 0.5) * v; sy += (y + 0.5) * v;
      }
    }
  }
  return { width: right - left + 1, height: bottom - top + 1, cx: sx / mass, cy: sy / mass };
}

describe('digitTensor', () => {
  it('scales the digit to fit 20×20, aspect kept, centred by mass in 28×28', () => {
    const tensor = digitTensor(bar(300, 200, 40, 20, 50, 150, 0, 255));
    expect(tensor).toHaveLength(DIGIT_PIXELS);
    const box = inkBox(tensor);
    expect(box.height).toBe(20);
    expect(box.width).toBeGreaterThanOrEqual(6);
    expect(box.width).toBeLessThanOrEqual(8);
    expect(Math.abs(box.cx - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.abs(box.cy - 14)).toBeLessThanOrEqual(0.5);
    expect(Math.max(...tensor)).toBe(1);
    expect(Math.min(...tensor)).toBe(0);
  });

  it('gives the same tensor for dark ink on light paper and light ink on dark', () => {
    const mnistLike = digitTensor(bar(64, 64, 10, 5, 12, 40, 0, 255));
    const photoLike = digitTensor(bar(64, 64, 10, 5, 12, 40, 255, 0));
    expect(Buffer.from(photoLike.buffer)).toEqual(Buffer.from(mnistLike.buffer));
  });

  it('stretches contrast: grey ink on grey paper is full ink on no background', () => {
    const tensor = digitTensor(bar(50, 50, 20, 5, 8, 40, 200, 90));
    expect(Math.max(...tensor)).toBe(1);
    expect(tensor.filter((v) => v > 0 && v < 1).length).toBeLessThan(60);
  });

  it('is deterministic: the same bitmap gives the same bits', () => {
    const pixels = Float32Array.from({ length: DIGIT_PIXELS }, (_, i) => ((i * 37) % 101 > 80 ? ((i * 13) % 255) / 255 : 0));
    const a = digitTensorFromUnitFloats(pixels);
    const b = digitTensor(greyFromUnitFloats(pixels, DIGIT_SIDE, DIGIT_SIDE));
    expect(Buffer.from(a.buffer)).toEqual(Buffer.from(b.buffer));
  });

  it('refuses a blank image, a flat one and one without pixels', () => {
    expect(() => digitTensor({ width: 10, height: 10, data: new Uint8Array(100) })).toThrow(DigitTransformError);
    expect(() => digitTensor({ width: 10, height: 10, data: new Uint8Array(100).fill(200) })).toThrow(/blank/);
    expect(() => digitTensor(bar(10, 10, 3, 3, 2, 2, 100, 110))).toThrow(/blank/);
    expect(() => digitTensor({ width: 0, height: 0, data: new Uint8Array(0) })).toThrow(/no pixels/);
    expect(() => digitTensor({ width: 3, height: 3, data: new Uint8Array(4) })).toThrow(/needs 9/);
  });

  it('takes a one-pixel image', () => {
    const tensor = digitTensor(bar(5, 5, 2, 2, 1, 1, 0, 255));
    expect(inkBox(tensor)).toMatchObject({ width: 20, height: 20 });
  });
});
