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
 * Uses im2col: the patch matrix turns both passes into loops over long contiguous rows,
 * which V8 runs far faster than the nested 3×3 loops.
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
  /** Patch rows (in × kh × kw) and columns (output positions). */
  private readonly patchRows: number;
  private readonly positions: number;
  /** For each (patch row, position): the input index it reads, or -1 for padding. */
  private readonly gather: Int32Array;
  private readonly columns: Float32Array;
  private readonly columnGrad: Float32Array;
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
    this.patchRows = inChannels * kernel * kernel;
    this.weight = createParam(`${name}.weight`, [outChannels, inChannels, kernel, kernel]);
    this.bias = createParam(`${name}.bias`, [outChannels]);
    this.params = [this.weight, this.bias];
    this.columns = new Float32Array(this.patchRows * this.positions);
    this.columnGrad = new Float32Array(this.patchRows * this.positions);
    this.output = new Float32Array(this.outSize);
    this.inputGrad = new Float32Array(this.inSize);
    this.gather = new Int32Array(this.patchRows * this.positions);
    for (let c = 0; c < inChannels; c++) {
      for (let ky = 0; ky < kernel; ky++) {
        for (let kx = 0; kx < kernel; kx++) {
          const row = (c * kernel + ky) * kernel + kx;
          for (let y = 0; y < this.outHeight; y++) {
            for (let x = 0; x < this.outWidth; x++) {
              const iy = y + ky - pad;
              const ix = x + kx - pad;
              const inside = iy >= 0 && iy < inHeight && ix >= 0 && ix < inWidth;
              this.gather[row * this.positions + y * this.outWidth + x] = inside ? (c * inHeight + iy) * inWidth + ix : -1;
            }
          }
        }
      }
    }
  }

  get fanIn(): number {
    return this.patchRows;
  }

  forward(input: Float32Array): Float32Array {
    const { columns, gather, output, patchRows, positions } = this;
    const outChannels = this.shape.outChannels;
    for (let i = 0; i < columns.length; i++) {
      const src = gather[i] as number;
      columns[i] = src >= 0 ? (input[src] as number) : 0;
    }
    const w = this.weight.value;
    const b = this.bias.value;
    for (let oc = 0; oc < outChannels; oc++) {
      const outRow = oc * positions;
      const bias = b[oc] as number;
      for (let j = 0; j < positions; j++) output[outRow + j] = bias;
      const wRow = oc * patchRows;
      for (let p = 0; p < patchRows; p++) {
        const wv = w[wRow + p] as number;
        const colRow = p * positions;
        for (let j = 0; j < positions; j++) output[outRow + j] = (output[outRow + j] as number) + wv * (columns[colRow + j] as number);
      }
    }
    return output;
  }

  backward(gradOutput: Float32Array, wantInputGrad: boolean): Float32Array | undefined {
    const { columns, columnGrad, gather, inputGrad, patchRows, positions } = this;
    const outChannels = this.shape.outChannels;
    const w = this.weight.value;
    const gw = this.weight.grad;
    const gb = this.bias.grad;
    if (wantInputGrad) columnGrad.fill(0);
    for (let oc = 0; oc < outChannels; oc++) {
      const gRow = oc * positions;
      let biasGrad = 0;
      for (let j = 0; j < positions; j++) biasGrad += gradOutput[gRow + j] as number;
      gb[oc] = (gb[oc] as number) + biasGrad;
      const wRow = oc * patchRows;
      for (let p = 0; p < patchRows; p++) {
        const colRow = p * positions;
        let sum = 0;
        for (let j = 0; j < positions; j++) sum += (gradOutput[gRow + j] as number) * (columns[colRow + j] as number);
        gw[wRow + p] = (gw[wRow + p] as number) + sum;
        if (wantInputGrad) {
          const wv = w[wRow + p] as number;
          for (let j = 0; j < positions; j++) columnGrad[colRow + j] = (columnGrad[colRow + j] as number) + wv * (gradOutput[gRow + j] as number);
        }
      }
    }
    if (!wantInputGrad) return undefined;
    inputGrad.fill(0);
    for (let i = 0; i < columnGrad.length; i++) {
      const dst = gather[i] as number;
      if (dst >= 0) inputGrad[dst] = (inputGrad[dst] as number) + (columnGrad[i] as number);
    }
    return inputGrad;
  }
}
