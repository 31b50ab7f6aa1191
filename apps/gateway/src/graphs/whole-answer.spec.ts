import { describe, expect, it } from 'vitest';
import type { InferResponse } from '@msp/contracts';
import { isWholeAnswer } from './graph.service.js';

const answer = (graph: unknown, extra: Record<string, unknown> = {}): InferResponse => ({
  model_name: 'iris-ensemble',
  outputs: [],
  parameters: { graph, ...extra },
});
const ok = { node: 'a', kind: 'model', status: 'ok', ms: 1 };

describe('isWholeAnswer (which graph answers the prediction cache keeps)', () => {
  it('keeps an answer every step made', () => {
    expect(isWholeAnswer(answer({ steps: [ok, { ...ok, node: 'b' }], partial: false }))).toBe(true);
  });

  it('keeps no partial ensemble, skipped, failed or cut step, nor a fallback’s answer', () => {
    expect(isWholeAnswer(answer({ steps: [ok], partial: true }))).toBe(false);
    for (const status of ['skipped', 'failed', 'timeout']) {
      expect(isWholeAnswer(answer({ steps: [ok, { ...ok, status }], partial: false }))).toBe(false);
    }
    expect(isWholeAnswer(answer({ steps: [ok], partial: false }, { degraded: true }))).toBe(false);
    expect(isWholeAnswer({ model_name: 'x', outputs: [] })).toBe(false);
  });
});
