import { describe, expect, it } from 'vitest';
import type { InferTensor } from '@msp/contracts';
import { evaluate, type ConditionScope } from './conditions.js';
import type { Condition } from './graph.schema.js';
import { all, average, softVote } from './merge.js';

const input = (rows: number[][]): InferTensor => ({ name: 'input', datatype: 'FP32', shape: [rows.length, rows[0]?.length ?? 0], data: rows.flat() });
const scope = (rows: number[][], current: InferTensor[] = []): ConditionScope => ({ request: [input(rows)], current, results: new Map() });
const holds = (condition: Record<string, unknown>, s: ConditionScope) => evaluate({ rows: 'any', ...condition } as Condition, s);

describe('conditions', () => {
  it('takes a condition\'s number from its run-time parameter when one is set', () => {
    const condition = { input: 'input', feature: 2, op: 'gt', value: 2.5, parameter: 'cut' };
    const s = scope([[5, 3, 3, 0.2]]);
    expect(holds(condition, s)).toBe(true);
    expect(holds(condition, { ...s, parameter: (name) => (name === 'cut' ? 4 : undefined) })).toBe(false);
    expect(holds(condition, { ...s, parameter: () => undefined })).toBe(true);
  });

  it('tests a request header: eq / ne, in / not_in, present / absent; a missing header equals nothing', () => {
    const headers: Record<string, string> = { 'x-device': 'mobile' };
    const s: ConditionScope = { ...scope([[5, 3, 1.4, 0.2]]), header: (name) => headers[name] };
    const header = (condition: Record<string, unknown>) => evaluate(condition as Condition, s);
    expect(header({ header: 'x-device', op: 'eq', value: 'mobile' })).toBe(true);
    expect(header({ header: 'x-device', op: 'in', values: ['edge', 'mobile'] })).toBe(true);
    expect(header({ header: 'x-device', op: 'not_in', values: ['mobile'] })).toBe(false);
    expect(header({ header: 'x-region', op: 'eq', value: 'eu' })).toBe(false);
    expect(header({ header: 'x-region', op: 'ne', value: 'eu' })).toBe(true);
    expect(header({ header: 'x-region', op: 'absent' })).toBe(true);
    expect(header({ header: 'x-device', op: 'present' })).toBe(true);
    // No headers at all (a background run): every header is absent.
    expect(evaluate({ header: 'x-device', op: 'in', values: ['mobile'] }, scope([[1, 2, 3, 4]]))).toBe(false);
  });

  it('compares one feature of any row (default) or of every row', () => {
    const s = scope([[5, 3, 1.4, 0.2], [6, 3, 5, 2]]);
    expect(holds({ input: 'input', feature: 2, op: 'gt', value: 2.5 }, s)).toBe(true);
    expect(holds({ input: 'input', feature: 2, op: 'gt', value: 2.5, rows: 'all' }, s)).toBe(false);
    expect(holds({ input: 'input', feature: 0, op: 'le', value: 4 }, s)).toBe(false);
  });

  it('outside: per-column bounds, and NaN is always outside', () => {
    const bounds = { input: 'input', op: 'outside', min: 0, max: [10, 5, 10, 3] };
    expect(holds(bounds, scope([[5, 3, 1.4, 0.2]]))).toBe(false);
    expect(holds(bounds, scope([[5, 6, 1.4, 0.2]]))).toBe(true);
    expect(holds(bounds, scope([[5, 3, -1, 0.2]]))).toBe(true);
    expect(holds(bounds, scope([[5, 3, Number.NaN, 0.2]]))).toBe(true);
  });

  it('reads a step output: reduce max, in / not_in on labels; any_of / all_of', () => {
    const probabilities: InferTensor = { name: 'probabilities', datatype: 'FP32', shape: [1, 3], data: [0.5, 0.3, 0.2] };
    const label: InferTensor = { name: 'label', datatype: 'BYTES', shape: [1], data: ['setosa'] };
    const s: ConditionScope = { request: [], current: [label], results: new Map([['m', [probabilities]]]) };
    expect(holds({ output: 'probabilities', step: 'm', reduce: 'max', op: 'lt', value: 0.8 }, s)).toBe(true);
    expect(holds({ output: 'label', op: 'in', values: ['setosa'] }, s)).toBe(true);
    expect(holds({ output: 'label', op: 'not_in', values: ['setosa'] }, s)).toBe(false);
    const isSetosa: Condition = { output: 'label', op: 'in', values: ['setosa'], rows: 'any' };
    const isOther: Condition = { output: 'label', op: 'in', values: ['x'], rows: 'any' };
    expect(evaluate({ all_of: [isSetosa, isOther] }, s)).toBe(false);
    expect(evaluate({ any_of: [isOther, isSetosa] }, s)).toBe(true);
  });

  it('a missing request tensor is a 400; a missing step output a 500', () => {
    expect(() => holds({ input: 'pixels', op: 'nan' }, scope([[1]]))).toThrow(expect.objectContaining({ code: 400 }));
    expect(() => holds({ output: 'label', op: 'nan' }, scope([[1]]))).toThrow(expect.objectContaining({ code: 500 }));
  });
});

describe('merges', () => {
  const branch = (node: string, p: number[], labels?: string[]) => ({
    node,
    tensors: [
      { name: 'probabilities', datatype: 'FP32' as const, shape: [1, 3], data: p },
      { name: 'label', datatype: 'BYTES' as const, shape: [1], data: [['a', 'b', 'c'][p.indexOf(Math.max(...p))] ?? ''] },
    ],
    ...(labels ? { labels } : {}),
  });

  it('soft-vote labels with the advertised labels, else with the branches own labels', () => {
    expect(softVote([branch('x', [0.2, 0.8, 0], ['u', 'v', 'w']), branch('y', [0.6, 0.4, 0])])[1]?.data).toEqual(['v']);
    expect(softVote([branch('x', [0.9, 0.1, 0]), branch('y', [0.1, 0.1, 0.8])])[1]?.data).toEqual(['a']);
  });

  it('average keeps common numeric outputs; all namespaces every output', () => {
    const merged = average([branch('x', [1, 0, 0]), branch('y', [0, 1, 0])]);
    expect(merged.map((t) => [t.name, t.data])).toEqual([['probabilities', [0.5, 0.5, 0]]]);
    expect(all([branch('x', [1, 0, 0])]).map((t) => t.name)).toEqual(['x.probabilities', 'x.label']);
  });
});
