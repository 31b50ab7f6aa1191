import { MspError, type InferTensor } from '@msp/contracts';
import type { Condition, HeaderCondition, TensorCondition } from './graph.schema.js';

/** Where a condition looks for its tensors. */
export interface ConditionScope {
  /** The graph's request. */
  request: readonly InferTensor[];
  /** What the switch itself received (an `output` without `step` reads this). */
  current: readonly InferTensor[];
  /** The outputs of steps that have run, by node name. */
  results: ReadonlyMap<string, readonly InferTensor[]>;
  /** A run-time number by parameter name (a condition's `parameter`), if set. */
  parameter?: (name: string) => number | undefined;
  /** A request header by lower-case name (absent where the request has no headers, e.g. a time-lag's background run). */
  header?: (name: string) => string | undefined;
}

/** Evaluates a switch condition: declarative, no code from the file is ever run. */
export function evaluate(condition: Condition, scope: ConditionScope): boolean {
  if ('any_of' in condition) return condition.any_of.some((c) => evaluate(c, scope));
  if ('all_of' in condition) return condition.all_of.every((c) => evaluate(c, scope));
  if ('header' in condition) return evaluateHeader(condition, scope.header?.(condition.header));
  return evaluateTensor(condition, scope);
}

function evaluateHeader(condition: HeaderCondition, value: string | undefined): boolean {
  switch (condition.op) {
    case 'present':
      return value !== undefined;
    case 'absent':
      return value === undefined;
    case 'eq':
      return value === condition.value;
    case 'ne':
      return value !== condition.value;
    case 'in':
      return value !== undefined && (condition.values ?? []).includes(value);
    case 'not_in':
      return value === undefined || !(condition.values ?? []).includes(value);
  }
}

function findTensor(condition: TensorCondition, scope: ConditionScope): InferTensor {
  const name = condition.input ?? condition.output ?? '';
  let pool: readonly InferTensor[] | undefined;
  let where: string;
  if (condition.input !== undefined) {
    pool = scope.request;
    where = 'the request';
  } else if (condition.step !== undefined) {
    pool = scope.results.get(condition.step);
    where = `step '${condition.step}'`;
    if (!pool) throw MspError.internal(`switch condition: step '${condition.step}' has not run`);
  } else {
    pool = scope.current;
    where = 'the previous step';
  }
  const tensor = pool.find((t) => t.name === name);
  if (!tensor) {
    const message = `switch condition: ${where} has no tensor '${name}' (has: ${pool.map((t) => t.name).join(', ') || 'none'})`;
    // A missing request input is the client's mistake; a missing step output is the graph's.
    throw condition.input !== undefined ? MspError.badRequest(message) : MspError.internal(message);
  }
  return tensor;
}

function bound(value: number | number[] | undefined, column: number): number | undefined {
  if (value === undefined || typeof value === 'number') return value;
  return value[column] ?? value[value.length - 1];
}

function compare(condition: TensorCondition, x: unknown, column: number): boolean {
  const { op } = condition;
  if (op === 'in' || op === 'not_in') {
    const found = (condition.values ?? []).some((v) => v === x);
    return op === 'in' ? found : !found;
  }
  const n = typeof x === 'number' ? x : typeof x === 'boolean' ? Number(x) : Number.NaN;
  if (op === 'nan') return !Number.isFinite(n);
  if (op === 'outside') {
    const min = bound(condition.min, column);
    const max = bound(condition.max, column);
    return !Number.isFinite(n) || (min !== undefined && n < min) || (max !== undefined && n > max);
  }
  const v = condition.value ?? Number.NaN;
  switch (op) {
    case 'gt':
      return n > v;
    case 'ge':
      return n >= v;
    case 'lt':
      return n < v;
    case 'le':
      return n <= v;
    case 'eq':
      return n === v;
    case 'ne':
      return n !== v;
  }
}

function evaluateTensor(named: TensorCondition, scope: ConditionScope): boolean {
  const live = named.parameter === undefined ? undefined : scope.parameter?.(named.parameter);
  const condition = live === undefined ? named : { ...named, value: live };
  const tensor = findTensor(condition, scope);
  const data = tensor.data as readonly unknown[];
  const rows = Math.max(1, tensor.shape[0] ?? 1);
  const width = tensor.shape.length <= 1 ? 1 : tensor.shape.slice(1).reduce((a, b) => a * b, 1);
  if (data.length === 0) return false;
  const rowMatches = (row: number): boolean => {
    const start = row * width;
    if (condition.feature !== undefined) {
      if (condition.feature >= width) {
        throw MspError.badRequest(`switch condition: '${tensor.name}' has ${width} columns, no feature ${condition.feature}`);
      }
      return compare(condition, data[start + condition.feature], condition.feature);
    }
    if (condition.reduce !== undefined) {
      let acc = condition.reduce === 'max' ? -Infinity : Infinity;
      for (let i = start; i < start + width; i += 1) {
        const n = Number(data[i]);
        if (Number.isNaN(n)) return compare(condition, Number.NaN, 0);
        acc = condition.reduce === 'max' ? Math.max(acc, n) : Math.min(acc, n);
      }
      return compare(condition, acc, 0);
    }
    for (let i = 0; i < width; i += 1) if (compare(condition, data[start + i], i)) return true;
    return false;
  };
  const all = condition.rows === 'all';
  for (let row = 0; row < rows; row += 1) {
    const match = rowMatches(row);
    if (all && !match) return false;
    if (!all && match) return true;
  }
  return all;
}
