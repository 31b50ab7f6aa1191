import type { Layer, Param } from './layer.js';

/**
 * Fixed (not trained) per-feature scaling, (x - mean) / std, fitted on the training rows.
 * It sits in the network so the exported graph takes raw features.
 */
export class StandardizeLayer implements Layer {
  readonly kind = 'standardize';
  readonly params: readonly Param[] = [];
  readonly inSize: number;
  readonly outSize: number;
  readonly mean: Float32Array;
  readonly scale: Float32Array;
  private readonly output: Float32Array;
  private readonly inputGrad: Float32Array;

  constructor(mean: readonly number[], std: readonly number[]) {
    this.inSize = mean.length;
    this.outSize = mean.length;
    this.mean = Float32Array.from(mean);
    // Stored as 1/std so JS and ONNX (Sub then Mul) round identically.
    this.scale = Float32Array.from(std, (s) => (s > 0 ? 1 / s : 1));
    this.output = new Float32Array(this.outSize);
    this.inputGrad = new Float32Array(this.inSize);
  }

  static fit(rows: readonly (readonly number[])[]): StandardizeLayer {
    const width = rows[0]?.length ?? 0;
    const mean = new Array<number>(width).fill(0);
    const std = new Array<number>(width).fill(0);
    for (const row of rows) for (let j = 0; j < width; j++) mean[j] = (mean[j] as number) + (row[j] as number) / rows.length;
    for (const row of rows) {
      for (let j = 0; j < width; j++) std[j] = (std[j] as number) + ((row[j] as number) - (mean[j] as number)) ** 2 / rows.length;
    }
    return new StandardizeLayer(mean, std.map(Math.sqrt));
  }

  forward(input: Float32Array): Float32Array {
    const { output, mean, scale } = this;
    for (let i = 0; i < output.length; i++) {
      output[i] = Math.fround((input[i] as number) - (mean[i] as number)) * (scale[i] as number);
    }
    return output;
  }

  backward(gradOutput: Float32Array, wantInputGrad: boolean): Float32Array | undefined {
    if (!wantInputGrad) return undefined;
    for (let i = 0; i < this.inputGrad.length; i++) this.inputGrad[i] = (gradOutput[i] as number) * (this.scale[i] as number);
    return this.inputGrad;
  }
}
