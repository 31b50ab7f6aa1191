import { argmax } from '../nn/softmax.js';

/** Share of rows whose most probable class is the target. */
export function accuracy(probabilities: Float32Array, classes: number, targets: readonly number[]): number {
  if (probabilities.length !== targets.length * classes) throw new Error('probabilities and targets disagree in length');
  let correct = 0;
  targets.forEach((target, row) => {
    if (argmax(probabilities.subarray(row * classes, (row + 1) * classes)) === target) correct++;
  });
  return correct / targets.length;
}

/** Largest |a - b| over two equally long arrays (how far ONNX drifts from our own model). */
export function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new Error(`cannot compare ${a.length} values with ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs((a[i] as number) - (b[i] as number)));
  return max;
}

/** Largest |row sum - 1|: the probabilities output must be a distribution per row. */
export function maxRowSumError(probabilities: Float32Array, classes: number): number {
  let max = 0;
  for (let row = 0; row * classes < probabilities.length; row++) {
    let sum = 0;
    for (let c = 0; c < classes; c++) sum += probabilities[row * classes + c] as number;
    max = Math.max(max, Math.abs(sum - 1));
  }
  return max;
}
