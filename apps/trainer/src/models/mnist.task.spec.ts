import { createRng } from '@msp/datasets';
import { describe, expect, it } from 'vitest';
import { randomShift } from './mnist.task.js';

describe('randomShift', () => {
  it('moves the image by whole pixels within the bound, filling with background', () => {
    const image = new Float32Array(784);
    image[14 * 28 + 14] = 1;
    image[0] = 0.5;
    const shift = randomShift(2);
    const rng = createRng(9);
    const seen = new Set<string>();
    for (let n = 0; n < 200; n++) {
      const out = shift(image, new Float32Array(784), rng);
      const at = out.indexOf(1);
      const dy = Math.floor(at / 28) - 14;
      const dx = (at % 28) - 14;
      expect(Math.max(Math.abs(dx), Math.abs(dy))).toBeLessThanOrEqual(2);
      // The corner pixel lands at (dy, dx) when that is inside the image, else it is gone.
      const corner = dy >= 0 && dx >= 0 ? 0.5 : 0;
      expect(out.reduce((a, b) => a + b, 0)).toBeCloseTo(1 + corner, 6);
      seen.add(`${dx},${dy}`);
    }
    expect(seen.size).toBe(25);
  });
});
