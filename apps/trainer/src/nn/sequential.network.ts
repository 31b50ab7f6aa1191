import type { Layer, Param } from './layer.js';
import { softmaxInto } from './softmax.js';

/** Layers applied in order to one flat sample; the last layer's output is the logits. */
export class SequentialNetwork {
  readonly params: readonly Param[];
  readonly inSize: number;
  readonly classes: number;

  constructor(readonly layers: readonly Layer[]) {
    const first = layers[0];
    const last = layers[layers.length - 1];
    if (!first || !last) throw new Error('a network needs at least one layer');
    for (let i = 1; i < layers.length; i++) {
      const prev = layers[i - 1] as Layer;
      const layer = layers[i] as Layer;
      if (prev.outSize !== layer.inSize) {
        throw new Error(`layer ${i} (${layer.kind}) takes ${layer.inSize} values but gets ${prev.outSize}`);
      }
    }
    this.params = layers.flatMap((layer) => layer.params);
    this.inSize = first.inSize;
    this.classes = last.outSize;
  }

  /** Logits of one sample (a buffer owned by the last layer: copy it to keep it). */
  forward(input: Float32Array): Float32Array {
    let x = input;
    for (const layer of this.layers) x = layer.forward(x);
    return x;
  }

  /** Back-propagates d(loss)/d(logits) of the last forward pass into every Param.grad. */
  backward(gradLogits: Float32Array): void {
    let g: Float32Array | undefined = gradLogits;
    for (let i = this.layers.length - 1; i >= 0 && g; i--) {
      const layer = this.layers[i] as Layer;
      g = layer.backward(g, i > 0);
    }
  }

  /** Class probabilities for each sample, flat [n, classes]. */
  predictProbabilities(inputs: readonly Float32Array[]): Float32Array {
    const out = new Float32Array(inputs.length * this.classes);
    inputs.forEach((input, n) => {
      softmaxInto(this.forward(input), out.subarray(n * this.classes, (n + 1) * this.classes));
    });
    return out;
  }
}
