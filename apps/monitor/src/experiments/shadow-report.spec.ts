import type { PredictionRecord } from '@msp/contracts';
import { describe, expect, it } from 'vitest';
import { answersAgree, shadowReport } from './shadow-report.js';

const probabilities = (rows: number[][]) => [{ name: 'probabilities', datatype: 'FP32', shape: [rows.length, rows[0]!.length], data: rows.flat() }];
const labels = (values: string[]) => [{ name: 'label', datatype: 'BYTES', shape: [values.length], data: values }];

function record(id: string, side: 'primary' | 'shadow', status: number, ms: number, output?: unknown): PredictionRecord {
  return {
    request_id: id,
    pattern: side === 'primary' ? 'sync' : 'shadow',
    model: side === 'primary' ? 'iris-mlp' : 'iris-softmax',
    version: '1',
    ts: 0,
    input: { sha256: 'x', bytes: 1, truncated: false },
    status,
    latency_ms: { total: ms },
    experiment: { id: 'exp', side },
    ...(output === undefined ? {} : { output }),
  };
}

describe('answersAgree', () => {
  it('compares labels per row when both answers have them', () => {
    expect(answersAgree(labels(['setosa', 'virginica']), labels(['setosa', 'virginica']))).toBe(true);
    expect(answersAgree(labels(['setosa', 'virginica']), labels(['setosa', 'versicolor']))).toBe(false);
  });

  it('compares the top class of [N, C] scores, not the scores themselves', () => {
    expect(answersAgree(probabilities([[0.9, 0.05, 0.05]]), probabilities([[0.6, 0.3, 0.1]]))).toBe(true);
    expect(answersAgree(probabilities([[0.9, 0.05, 0.05]]), probabilities([[0.3, 0.6, 0.1]]))).toBe(false);
  });

  it('does not call a missing or unrelated answer agreement', () => {
    expect(answersAgree(undefined, labels(['setosa']))).toBe(false);
    expect(answersAgree(labels(['setosa']), probabilities([[1, 0, 0]]))).toBe(false);
  });
});

describe('shadowReport', () => {
  it('pairs both sides by request id and reports agreement over the requests both answered', () => {
    const records = [
      record('a', 'primary', 200, 1, labels(['setosa'])),
      record('a', 'shadow', 200, 3, labels(['setosa'])),
      record('b', 'primary', 200, 2, labels(['setosa'])),
      record('b', 'shadow', 200, 4, labels(['virginica'])),
      record('c', 'primary', 200, 1, labels(['setosa'])),
      record('c', 'shadow', 504, 300),
      record('d', 'primary', 200, 1, labels(['setosa'])),
      // no shadow record for d (skipped or not logged yet)
    ];
    const report = shadowReport('exp', records, 100);
    expect(report).toMatchObject({ id: 'exp', requests: 4, compared: 2, agreement: 0.5, window: 100 });
    expect(report.sides.primary).toMatchObject({ model: 'iris-mlp', versions: ['1'], count: 4, errors: 0, latency_ms: { p50: 1, p99: 2 } });
    expect(report.sides.shadow).toMatchObject({ model: 'iris-softmax', count: 3, errors: 1, statuses: { '504': 1 }, latency_ms: { p50: 3, p99: 4 } });
  });

  it('reports no agreement and no latency when nothing is logged', () => {
    const report = shadowReport('exp', [], 100);
    expect(report.agreement).toBeUndefined();
    expect(report.sides.shadow).toEqual({ versions: [], count: 0, errors: 0, statuses: {}, latency_ms: {} });
  });
});
