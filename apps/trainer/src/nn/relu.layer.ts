import type { Layer, Param } from './layer.js';

export class ReluLayer implements Layer {
  readonly kind = 'relu';
  readonly params: readonly Param[] = [];
  readonly outSize: number;
  private readonly output: Float32Array;
  private readonly inputGrad: Float32Array;

  constructor(readonly inSize: number) {
    this.outSize = inSize;
    this.output = new Float32Array(inSize);
    this.inputGrad = new Float32Array(inSize);
  }

  forward(input: Float32Array): Float32Array {
    const { output } = this;
    for (let i = 0; i < input.length; i++) {
      const v = input[i] as number;
      output[i] = v > 0 ? v : 0;
    }
    return output;
  }

  backward(gradOutput: Float32Array, wantInputGrad: boolean): Float32Array | undefined {
    if (!wantInputGrad) return undefined;
    const { output, inputGrad } = this;
    for (let i = 0; i < output.length; i++) inputGrad[i] = (output[i] as number) > 0 ? (gradOutput[i] as number) : 0;
    return inputGrad;
  }
}
