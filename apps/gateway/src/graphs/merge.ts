import { MspError, type InferTensor } from '@msp/contracts';

export interface BranchAnswer {
  node: string;
  tensors: readonly InferTensor[];
  /** The class labels the branch's model advertises, if it is a model with labels. */
  labels?: readonly string[];
}

const NUMERIC = new Set(['FP16', 'FP32', 'FP64', 'INT8', 'INT16', 'INT32', 'INT64', 'UINT8', 'UINT16', 'UINT32', 'UINT64']);

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

function averageOf(name: string, tensors: readonly InferTensor[]): InferTensor {
  const first = tensors[0];
  if (!first) throw MspError.internal(`merge: no '${name}' to average`);
  const sum = new Array<number>(first.data.length).fill(0);
  for (const tensor of tensors) {
    if (!sameShape(tensor.shape, first.shape)) {
      throw MspError.internal(`merge: '${name}' has shape [${tensor.shape.join(',')}] in one branch and [${first.shape.join(',')}] in another`);
    }
    const data = tensor.data as readonly number[];
    for (let i = 0; i < sum.length; i += 1) sum[i] = (sum[i] ?? 0) + Number(data[i]);
  }
  return { name, datatype: first.datatype === 'FP64' ? 'FP64' : 'FP32', shape: [...first.shape], data: sum.map((s) => s / tensors.length) };
}

/** Labels per class index: what a branch advertises, else read off its own label + argmax. */
function labelsFor(answers: readonly BranchAnswer[], classes: number): string[] {
  for (const answer of answers) if (answer.labels && answer.labels.length === classes) return [...answer.labels];
  const labels = new Array<string | undefined>(classes).fill(undefined);
  for (const answer of answers) {
    const probabilities = answer.tensors.find((t) => t.name === 'probabilities');
    const label = answer.tensors.find((t) => t.name === 'label');
    if (!probabilities || !label) continue;
    const data = probabilities.data as readonly number[];
    label.data.forEach((value, row) => {
      const index = argmax(data, row * classes, classes);
      labels[index] ??= String(value);
    });
  }
  return labels.map((label, i) => label ?? String(i));
}

function argmax(data: readonly number[], start: number, width: number): number {
  let best = 0;
  for (let i = 1; i < width; i += 1) if ((data[start + i] ?? -Infinity) > (data[start + best] ?? -Infinity)) best = i;
  return best;
}

/** Soft vote: the mean of the branches' `probabilities` [N,C]; `label` is its argmax. */
export function softVote(answers: readonly BranchAnswer[]): InferTensor[] {
  const probabilities = answers.map((answer) => {
    const found = answer.tensors.find((t) => t.name === 'probabilities');
    if (!found) throw MspError.internal(`soft-vote: branch '${answer.node}' answered no 'probabilities'`);
    return found;
  });
  const mean = averageOf('probabilities', probabilities);
  const rows = mean.shape[0] ?? 1;
  const classes = mean.shape.length >= 2 ? (mean.shape[1] ?? 1) : mean.data.length;
  const labels = labelsFor(answers, classes);
  const data = mean.data as number[];
  const label: string[] = [];
  for (let row = 0; row < rows; row += 1) label.push(labels[argmax(data, row * classes, classes)] ?? String(row));
  return [mean, { name: 'label', datatype: 'BYTES', shape: [rows], data: label }];
}

/** The mean of every numeric output all branches answered with the same shape. */
export function average(answers: readonly BranchAnswer[]): InferTensor[] {
  const first = answers[0];
  if (!first) return [];
  const merged: InferTensor[] = [];
  for (const tensor of first.tensors) {
    if (!NUMERIC.has(tensor.datatype)) continue;
    const all = answers.map((answer) => answer.tensors.find((t) => t.name === tensor.name));
    if (all.some((t) => t === undefined || !sameShape(t.shape, tensor.shape))) continue;
    merged.push(averageOf(tensor.name, all as InferTensor[]));
  }
  if (merged.length === 0) throw MspError.internal('average: the branches have no numeric output in common');
  return merged;
}

/** Every branch's outputs, namespaced `<branch>.<output>`. */
export function all(answers: readonly BranchAnswer[]): InferTensor[] {
  return answers.flatMap((answer) => answer.tensors.map((t) => ({ ...t, name: `${answer.node}.${t.name}` })));
}

export const MERGES = { 'soft-vote': softVote, average, all } as const;
