import type { Layer, Param } from './layer.js';

/**
 * 2×2 max-pooling, stride 2, floor mode (an odd last row/column is dropped), matching
 * ONNX MaxPool's defaults. Remembers the winner of each window for the backward pass.
 */
export class MaxPoolLayer implements Layer {
  readonly kind = 'max-pool';
  readonly params: readonly Param[] = [];
  readonly inSize: number;
  readonly outSize: number;
  readonly outHeight: number;
  readonly outWidth: number;
  private readonly winners: Int32Array;
  private readonly output: Float32Array;
  private readonly inputGrad: Float32Array;

  constructor(
    readonly channels: number,
    readonly inHeight: number,
    readonly inWidth: number,
  ) {
    this.outHeight = Math.floor(inHeight / 2);
    this.outWidth = Math.floor(inWidth / 2);
    this.inSize = channels * inHeight * inWidth;
    this.outSize = channels * this.outHeight * this.outWidth;
    this.winners = new Int32Array(this.outSize);
    this.output = new Float32Array(this.outSize);
    this.inputGrad = new Float32Array(this.inSize);
  }

  forward(input: Float32Array): Float32Array {
    const { channels, inHeight, inWidth, outHeight, outWidth, output, winners } = this;
    let o = 0;
    for (let c = 0; c < channels; c++) {
      const plane = c * inHeight * inWidth;
      for (let y = 0; y < outHeight; y++) {
        const top = plane + 2 * y * inWidth;
        for (let x = 0; x < outWidth; x++) {
          // Unrolled: an array of candidates per window would allocate in the hot loop.
          const a = top + 2 * x;
          let best = a;
          let bestValue = input[a] as number;
          let v = input[a + 1] as number;
          if (v > bestValue) {
            bestValue = v;
            best = a + 1;
          }
          v = input[a + inWidth] as number;
          if (v > bestValue) {
            bestValue = v;
            best = a + inWidth;
          }
          v = input[a + inWidth + 1] as number;
          if (v > bestValue) {
            bestValue = v;
            best = a + inWidth + 1;
          }
          output[o] = bestValue;
          winners[o] = best;
          o++;
        }
      }
    }
    return output;
  }

  backward(gradOutput: Float32Array, wantInputGrad: boolean): Float32Array | undefined {
    if (!wantInputGrad) return undefined;
    const { inputGrad, winners } = this;
    inputGrad.fill(0);
    for (let o = 0; o < winners.length; o++) inputGrad[winners[o] as number] = gradOutput[o] as number;
    return inputGrad;
  }
}
