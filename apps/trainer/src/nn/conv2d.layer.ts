import type { Layer, Param } from './layer.js';
import { createParam } from './layer.js';

export interface Conv2dShape {
  inChannels: number;
  inHeight: number;
  inWidth: number;
  outChannels: number;
  kernel: number;
  /** Zero padding on every side (stride is always 1). */
  pad: number;
}

/**
 * 2-D convolution, stride 1, square kernel, weights [out, in, kh, kw] as ONNX Conv wants.
 * Uses im2col: each output position's input patch is copied into one contiguous row, so
 * both passes become dot products and row updates that V8 runs far faster than nested
 * 3×3 loops.
 */
export class Conv2dLayer implements Layer {
  readonly kind = 'conv2d';
  readonly weight: Param;
  readonly bias: Param;
  readonly params: readonly Param[];
  readonly inSize: number;
  readonly outSize: number;
  readonly outHeight: number;
  readonly outWidth: number;
  /** Values per patch (in × kh × kw) and number of output positions. */
  private readonly patchLength: number;
  private readonly positions: number;
  /** For each (position, patch element): the input index it reads, or -1 for padding. */
  private readonly gather: Int32Array;
  /** One row per output position holding its input patch (im2col, transposed). */
  private readonly patches: Float32Array;
  private readonly patchGrad: Float32Array;
  private readonly output: Float32Array;
  private readonly inputGrad: Float32Array;

  constructor(
    readonly shape: Conv2dShape,
    name: string,
  ) {
    const { inChannels, inHeight, inWidth, outChannels, kernel, pad } = shape;
    this.outHeight = inHeight + 2 * pad - kernel + 1;
    this.outWidth = inWidth + 2 * pad - kernel + 1;
    this.inSize = inChannels * inHeight * inWidth;
    this.positions = this.outHeight * this.outWidth;
    this.outSize = outChannels * this.positions;
    this.patchLength = inChannels * kernel * kernel;
    this.weight = createParam(`${name}.weight`, [outChannels, inChannels, kernel, kernel]);
    this.bias = createParam(`${name}.bias`, [outChannels]);
    this.params = [this.weight, this.bias];
    this.patches = new Float32Array(this.patchLength * this.positions);
    this.patchGrad = new Float32Array(this.patchLength * this.positions);
    this.output = new Float32Array(this.outSize);
    this.inputGrad = new Float32Array(this.inSize);
    this.gather = new Int32Array(this.patchLength * this.positions);
    for (let c = 0; c < inChannels; c++) {
      for (let ky = 0; ky < kernel; ky++) {
        for (let kx = 0; kx < kernel; kx++) {
          const tap = (c * kernel + ky) * kernel + kx;
          for (let y = 0; y < this.outHeight; y++) {
            for (let x = 0; x < this.outWidth; x++) {
              const iy = y + ky - pad;
              const ix = x + kx - pad;
              const inside = iy >= 0 && iy < inHeight && ix >= 0 && ix < inWidth;
              this.gather[(y * this.outWidth + x) * this.patchLength + tap] = inside ? (c * inHeight + iy) * inWidth + ix : -1;
            }
          }
        }
      }
    }
  }

  get fanIn(): number {
    return this.patchLength;
  }

  forward(input: Float32Array): Float32Array {
    const { patches, gather, output, patchLength, positions } = this;
    const outChannels = this.shape.outChannels;
    for (let i = 0; i < patches.length; i++) {
      const src = gather[i] as number;
      patches[i] = src >= 0 ? (input[src] as number) : 0;
    }
    const w = this.weight.value;
    const b = this.bias.value;
    // Each output is a dot product of a weight row with one contiguous patch; sums stay in
    // registers, and four channels share every patch read.
    let oc = 0;
    for (; oc + 4 <= outChannels; oc += 4) {
      const w0 = oc * patchLength;
      const w1 = w0 + patchLength;
      const w2 = w1 + patchLength;
      const w3 = w2 + patchLength;
      const b0 = b[oc] as number;
      const b1 = b[oc + 1] as number;
      const b2 = b[oc + 2] as number;
      const b3 = b[oc + 3] as number;
      for (let j = 0; j < positions; j++) {
        const base = j * patchLength;
        let s0 = b0;
        let s1 = b1;
        let s2 = b2;
        let s3 = b3;
        for (let p = 0; p < patchLength; p++) {
          const x = patches[base + p] as number;
          s0 += (w[w0 + p] as number) * x;
          s1 += (w[w1 + p] as number) * x;
          s2 += (w[w2 + p] as number) * x;
          s3 += (w[w3 + p] as number) * x;
        }
        output[oc * positions + j] = s0;
        output[(oc + 1) * positions + j] = s1;
        output[(oc + 2) * positions + j] = s2;
        output[(oc + 3) * positions + j] = s3;
      }
    }
    for (; oc < outChannels; oc++) {
      const wRow = oc * patchLength;
      for (let j = 0; j < positions; j++) {
        const base = j * patchLength;
        let sum = b[oc] as number;
        for (let p = 0; p < patchLength; p++) sum += (w[wRow + p] as number) * (patches[base + p] as number);
        output[oc * positions + j] = sum;
      }
    }
    return output;
  }

  backward(gradOutput: Float32Array, wantInputGrad: boolean): Float32Array | undefined {
    const { patches, patchGrad, gather, inputGrad, patchLength, positions } = this;
    const outChannels = this.shape.outChannels;
    const w = this.weight.value;
    const gw = this.weight.grad;
    const gb = this.bias.grad;
    if (wantInputGrad) patchGrad.fill(0);
    for (let oc = 0; oc < outChannels; oc++) {
      const gRow = oc * positions;
      const wRow = oc * patchLength;
      let biasGrad = 0;
      for (let j = 0; j < positions; j++) {
        const g = gradOutput[gRow + j] as number;
        // After ReLU and max-pool most output gradients are exactly zero (pooling alone
        // keeps one in four): skipping them cuts the backward pass about 4×.
        if (g === 0) continue;
        biasGrad += g;
        const base = j * patchLength;
        for (let p = 0; p < patchLength; p++) gw[wRow + p] = (gw[wRow + p] as number) + g * (patches[base + p] as number);
        if (wantInputGrad) {
          for (let p = 0; p < patchLength; p++) patchGrad[base + p] = (patchGrad[base + p] as number) + g * (w[wRow + p] as number);
        }
      }
      gb[oc] = (gb[oc] as number) + biasGrad;
    }
    if (!wantInputGrad) return undefined;
    inputGrad.fill(0);
    for (let i = 0; i < patchGrad.length; i++) {
      const dst = gather[i] as number;
      if (dst >= 0) inputGrad[dst] = (inputGrad[dst] as number) + (patchGrad[i] as number);
    }
    return inputGrad;
  }
}
