import type { Rng } from '@msp/datasets';

/** A trainable tensor with its gradient, accumulated over a mini-batch. */
export interface Param {
  readonly name: string;
  readonly shape: readonly number[];
  readonly value: Float32Array;
  readonly grad: Float32Array;
}

/**
 * One step of a sequential network, working on one sample at a time (flat CHW buffers).
 * Per-sample passes keep every buffer small and hot in cache; gradients of a mini-batch
 * accumulate in `Param.grad` until the optimiser consumes them.
 */
export interface Layer {
  readonly kind: string;
  readonly inSize: number;
  readonly outSize: number;
  readonly params: readonly Param[];
  /** Computes this layer's output into a buffer it owns and returns it. Keeps `input`. */
  forward(input: Float32Array): Float32Array;
  /**
   * Adds this sample's parameter gradients and, when asked, returns the gradient with
   * respect to the last forward input (in a buffer the layer owns).
   */
  backward(gradOutput: Float32Array, wantInputGrad: boolean): Float32Array | undefined;
}

export function createParam(name: string, shape: readonly number[]): Param {
  const size = shape.reduce((a, b) => a * b, 1);
  return { name, shape: [...shape], value: new Float32Array(size), grad: new Float32Array(size) };
}

/** He-normal initialisation, the usual choice in front of ReLU. */
export function initHeNormal(param: Param, fanIn: number, rng: Rng): void {
  const std = Math.sqrt(2 / fanIn);
  for (let i = 0; i < param.value.length; i++) param.value[i] = rng.normal() * std;
}

/** Glorot-uniform initialisation, for layers not followed by ReLU (the logits). */
export function initGlorotUniform(param: Param, fanIn: number, fanOut: number, rng: Rng): void {
  const limit = Math.sqrt(6 / (fanIn + fanOut));
  for (let i = 0; i < param.value.length; i++) param.value[i] = (rng.next() * 2 - 1) * limit;
}
