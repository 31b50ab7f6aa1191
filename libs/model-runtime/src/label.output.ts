import { MspError, type InferTensor, type TensorSpec } from '@msp/contracts';

/** The output a classifier's runner adds: the most probable class of each row, by name. */
export const LABEL_OUTPUT = 'label';
/** The classifier output the label is computed from. */
export const PROBABILITIES_OUTPUT = 'probabilities';

export const LABEL_SPEC: TensorSpec = { name: LABEL_OUTPUT, datatype: 'BYTES', shape: [-1] };

/**
 * Arg-max of each row of a [N, C] probabilities tensor, mapped through the class labels.
 * Ties go to the first class, as numpy's argmax does.
 */
export function labelsFromProbabilities(probabilities: InferTensor, labels: readonly string[]): InferTensor {
  const [rows, classes] = probabilities.shape;
  if (probabilities.shape.length !== 2 || rows === undefined || classes === undefined) {
    throw MspError.internal(`'${probabilities.name}' has shape [${probabilities.shape.join(',')}], expected [N,C]`);
  }
  if (classes !== labels.length) {
    throw MspError.internal(`'${probabilities.name}' has ${classes} classes but the manifest names ${labels.length} labels`);
  }
  const values = probabilities.data as number[];
  const data: string[] = [];
  for (let row = 0; row < rows; row++) {
    const offset = row * classes;
    let best = 0;
    for (let column = 1; column < classes; column++) {
      if (values[offset + column]! > values[offset + best]!) best = column;
    }
    data.push(labels[best]!);
  }
  return { name: LABEL_OUTPUT, datatype: 'BYTES', shape: [rows], data };
}
