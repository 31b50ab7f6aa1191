import type { Layer, Param } from './layer.js';
import { createParam } from './layer.js';

/**
 * Fully connected: y = W·x + b with W stored [out, in] row-major, exactly ONNX Gemm's B
 * operand with transB = 1, so export copies it unchanged.
 */
export class DenseLayer implements Layer {
  readonly kind = 'dense';
  readonly weight: Param;
  readonly bias: Param;
  readonly params: readonly Param[];
  private readonly output: Float32Array;
  private readonly inputGrad: Float32Array;
  /** Indices of the non-zero inputs of the last forward pass (MNIST pixels are ~80 % zero). */
  private readonly active: Int32Array;
  private activeCount = 0;
  private input: Float32Array = new Float32Array(0);

  constructor(
    readonly inSize: number,
    readonly outSize: number,
    name: string,
  ) {
    this.weight = createParam(`${name}.weight`, [outSize, inSize]);
    this.bias = createParam(`${name}.bias`, [outSize]);
    this.params = [this.weight, this.bias];
    this.output = new Float32Array(outSize);
    this.inputGrad = new Float32Array(inSize);
    this.active = new Int32Array(inSize);
  }

  forward(input: Float32Array): Float32Array {
    this.input = input;
    const { inSize, outSize, active, output } = this;
    const w = this.weight.value;
    const b = this.bias.value;
    let count = 0;
    for (let i = 0; i < inSize; i++) if (input[i] !== 0) active[count++] = i;
    this.activeCount = count;
    for (let o = 0; o < outSize; o++) {
      const row = o * inSize;
      let sum = b[o] as number;
      for (let k = 0; k < count; k++) {
        const i = active[k] as number;
        sum += (w[row + i] as number) * (input[i] as number);
      }
      output[o] = sum;
    }
    return output;
  }

  backward(gradOutput: Float32Array, wantInputGrad: boolean): Float32Array | undefined {
    const { inSize, outSize, active, activeCount, input, inputGrad } = this;
    const w = this.weight.value;
    const gw = this.weight.grad;
    const gb = this.bias.grad;
    if (wantInputGrad) inputGrad.fill(0);
    for (let o = 0; o < outSize; o++) {
      const g = gradOutput[o] as number;
      if (g === 0) continue;
      gb[o] = (gb[o] as number) + g;
      const row = o * inSize;
      // Zero inputs contribute nothing to dW.
      for (let k = 0; k < activeCount; k++) {
        const i = active[k] as number;
        gw[row + i] = (gw[row + i] as number) + g * (input[i] as number);
      }
      if (wantInputGrad) {
        for (let i = 0; i < inSize; i++) inputGrad[i] = (inputGrad[i] as number) + g * (w[row + i] as number);
      }
    }
    return wantInputGrad ? inputGrad : undefined;
  }
}
