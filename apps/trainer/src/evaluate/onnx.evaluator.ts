import * as ort from 'onnxruntime-node';
import { INPUT_NAME, PROBABILITIES_NAME } from '../onnx/network.exporter.js';

export interface OnnxBatch {
  /** Flat row-major FP32 data. */
  data: Float32Array;
  /** Full shape including the batch axis, e.g. [2000, 28, 28]. */
  dims: readonly number[];
}

export interface OnnxScores {
  /** Flat [rows, classes]. */
  probabilities: Float32Array;
  classes: number;
}

/**
 * Runs the exported model itself (as a predictor would) on a whole batch: the metrics in
 * the manifest come from this, not from the training code's own forward pass.
 */
export async function scoreWithOnnx(model: Uint8Array, batch: OnnxBatch): Promise<OnnxScores> {
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  try {
    if (session.inputNames.length !== 1 || session.inputNames[0] !== INPUT_NAME) {
      throw new Error(`graph inputs are [${session.inputNames.join(', ')}], expected exactly "${INPUT_NAME}"`);
    }
    const input = new ort.Tensor('float32', batch.data, [...batch.dims]);
    const results = await session.run({ [INPUT_NAME]: input }, [PROBABILITIES_NAME]);
    const output = results[PROBABILITIES_NAME];
    if (!output || output.type !== 'float32' || output.dims.length !== 2) {
      throw new Error(`"${PROBABILITIES_NAME}" missing or not FP32 [rows, classes]`);
    }
    const [rows, classes] = output.dims as [number, number];
    if (rows !== batch.dims[0]) throw new Error(`"${PROBABILITIES_NAME}" has ${rows} rows for ${batch.dims[0]} inputs`);
    return { probabilities: output.data as Float32Array, classes };
  } finally {
    await session.release();
  }
}
