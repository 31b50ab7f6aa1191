import { Conv2dLayer } from '../nn/conv2d.layer.js';
import { DenseLayer } from '../nn/dense.layer.js';
import { MaxPoolLayer } from '../nn/max-pool.layer.js';
import { ReluLayer } from '../nn/relu.layer.js';
import type { SequentialNetwork } from '../nn/sequential.network.js';
import { StandardizeLayer } from '../nn/standardize.layer.js';
import { attr, GraphBuilder } from './graph.builder.js';
import type { OnnxModel } from './onnx-model.types.js';
import { OnnxDataType } from './onnx-proto.schema.js';

export const INPUT_NAME = 'input';
export const PROBABILITIES_NAME = 'probabilities';
const BATCH = 'batch';

export interface NetworkExportOptions {
  graphName: string;
  /** The served input shape without the batch axis, e.g. [4] or [28, 28]. */
  inputShape: readonly number[];
  producerVersion: string;
  docString?: string;
}

/**
 * Maps a trained network onto ONNX ops one layer at a time: the graph takes FP32
 * `input` [batch, ...inputShape] and ends in Softmax as `probabilities` [batch, classes].
 * Our buffers are CHW and dense weights [out, in], so NCHW Conv, Flatten and Gemm
 * (transB = 1) take the weights as they are — no transposition anywhere.
 */
export function exportNetwork(network: SequentialNetwork, options: NetworkExportOptions): OnnxModel {
  const g = new GraphBuilder(options.graphName);
  let x = g.input(INPUT_NAME, OnnxDataType.FLOAT, [BATCH, ...options.inputShape]);
  let rank = options.inputShape.length + 1;

  for (const layer of network.layers) {
    if (layer instanceof StandardizeLayer) {
      x = g.op('Sub', [x, g.floats('mean', [layer.inSize], layer.mean)]);
      x = g.op('Mul', [x, g.floats('inv_std', [layer.inSize], layer.scale)]);
    } else if (layer instanceof DenseLayer) {
      if (rank !== 2) {
        // NCHW flattens in the same order as our CHW buffers.
        x = g.op('Flatten', [x], { axis: attr.int(1) });
        rank = 2;
      }
      const w = g.floats(layer.weight.name, layer.weight.shape, layer.weight.value);
      const b = g.floats(layer.bias.name, layer.bias.shape, layer.bias.value);
      x = g.op('Gemm', [x, w, b], { transB: attr.int(1) });
    } else if (layer instanceof Conv2dLayer) {
      const { inChannels, inHeight, inWidth, kernel, pad } = layer.shape;
      if (rank !== 4) {
        x = g.op('Reshape', [x, g.int64s('image_shape', [4], [-1, inChannels, inHeight, inWidth])]);
        rank = 4;
      }
      const w = g.floats(layer.weight.name, layer.weight.shape, layer.weight.value);
      const b = g.floats(layer.bias.name, layer.bias.shape, layer.bias.value);
      x = g.op('Conv', [x, w, b], {
        kernel_shape: attr.ints([kernel, kernel]),
        pads: attr.ints([pad, pad, pad, pad]),
        strides: attr.ints([1, 1]),
      });
    } else if (layer instanceof MaxPoolLayer) {
      x = g.op('MaxPool', [x], { kernel_shape: attr.ints([2, 2]), strides: attr.ints([2, 2]) });
    } else if (layer instanceof ReluLayer) {
      x = g.op('Relu', [x]);
    } else {
      throw new Error(`no ONNX mapping for layer kind "${layer.kind}"`);
    }
  }
  if (rank !== 2) throw new Error('the network must end in a dense layer (logits)');
  g.op('Softmax', [x], { axis: attr.int(1) }, PROBABILITIES_NAME);
  g.output(PROBABILITIES_NAME, OnnxDataType.FLOAT, [BATCH, network.classes]);
  return g.model(options.producerVersion, options.docString);
}
