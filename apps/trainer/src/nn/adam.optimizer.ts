import type { Param } from './layer.js';

export interface AdamOptions {
  beta1?: number;
  beta2?: number;
  epsilon?: number;
}

/** Adam over accumulated mini-batch gradients; zeroes each gradient after use. */
export class AdamOptimizer {
  private readonly moments: { m: Float32Array; v: Float32Array }[];
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private steps = 0;

  constructor(
    private readonly params: readonly Param[],
    options: AdamOptions = {},
  ) {
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    this.moments = params.map((p) => ({ m: new Float32Array(p.value.length), v: new Float32Array(p.value.length) }));
  }

  /** Applies the mean gradient of `batchSize` samples with learning rate `lr`. */
  step(batchSize: number, lr: number): void {
    this.steps++;
    const { beta1, beta2, epsilon } = this;
    const correction1 = 1 - beta1 ** this.steps;
    const correction2 = 1 - beta2 ** this.steps;
    const stepSize = (lr * Math.sqrt(correction2)) / correction1;
    const scale = 1 / batchSize;
    this.params.forEach((param, index) => {
      const { m, v } = this.moments[index] as { m: Float32Array; v: Float32Array };
      const { value, grad } = param;
      for (let i = 0; i < value.length; i++) {
        const g = (grad[i] as number) * scale;
        const mi = beta1 * (m[i] as number) + (1 - beta1) * g;
        const vi = beta2 * (v[i] as number) + (1 - beta2) * g * g;
        m[i] = mi;
        v[i] = vi;
        value[i] = (value[i] as number) - (stepSize * mi) / (Math.sqrt(vi) + epsilon);
        grad[i] = 0;
      }
    });
  }
}
