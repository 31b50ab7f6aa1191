import { describe, expect, it } from 'vitest';
import { float16Bits, float16Value } from './float16.js';

describe('float16', () => {
  it('encodes FP16 with round-to-nearest-even, subnormals and infinities', () => {
    expect(float16Bits(1)).toBe(0x3c00);
    expect(float16Bits(-2)).toBe(0xc000);
    expect(float16Bits(65_504)).toBe(0x7bff);
    expect(float16Bits(1e6)).toBe(0x7c00);
    expect(float16Bits(2 ** -24)).toBe(0x0001);
    expect(float16Bits(2 ** -26)).toBe(0x0000);
    expect(float16Bits(1 + 2 ** -11)).toBe(0x3c00); // a tie rounds to even
    expect(float16Value(float16Bits(0.1))).toBeCloseTo(0.1, 3);
    expect(Number.isNaN(float16Value(float16Bits(Number.NaN)))).toBe(true);
  });
});
