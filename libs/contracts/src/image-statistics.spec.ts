import { describe, expect, it } from 'vitest';
import { imageRowStatistics, imageSide, imageStatistics } from './image-statistics.js';

/** A side×side image, blank but for ink at the given (x, y) pixels. */
function image(side: number, ink: [number, number][]): Float32Array {
  const pixels = new Float32Array(side * side);
  for (const [x, y] of ink) pixels[y * side + x] = 1;
  return pixels;
}

describe('imageStatistics', () => {
  it('measures the ink share and where the ink sits', () => {
    // A 10×10 image with a vertical stroke in column 9 (the right edge), rows 0–4.
    const stroke = image(10, [0, 1, 2, 3, 4].map((y) => [9, y]));
    expect(imageStatistics(stroke, 10)).toEqual([0.05, 1, 0.2222]);
  });

  it('calls a blank image centred, with no ink', () => {
    expect(imageStatistics(new Float32Array(64), 8)).toEqual([0, 0.5, 0.5]);
  });

  it('weights the centre by intensity; faint pixels are not ink', () => {
    const pixels = new Float32Array(64);
    pixels[0] = 0.25; // (0, 0)
    pixels[7] = 0.75; // (7, 0)
    expect(imageStatistics(pixels, 8)).toEqual([0.0156, 0.75, 0]);
  });

  it('summarises each image of a batch', () => {
    const left = image(8, [[0, 4]]);
    const right = image(8, [[7, 4]]);
    const batch = new Float32Array([...left, ...right]);
    expect(imageRowStatistics(batch, 8).map((row) => row[1])).toEqual([0, 1]);
  });
});

describe('imageSide', () => {
  it.each([
    [[1, 1, 28, 28], 28],
    [[4, 28, 28], 28],
    [[2, 784], 28],
    [[1, 4], undefined],
    [[1, 3], undefined],
    [[1, 28, 27], undefined],
    [[1, 4, 4], undefined],
    [[784], undefined],
  ])('%j → %s', (shape, side) => {
    expect(imageSide(shape)).toBe(side);
  });
});
