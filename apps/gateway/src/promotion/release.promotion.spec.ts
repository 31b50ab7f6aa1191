import type { RolloutRecord } from '@msp/contracts';
import type { PromoteOptions } from '@msp/registry';
import { describe, expect, it } from 'vitest';
import { promoteRelease } from './release.promotion.js';

const record = (control: RolloutRecord['control'], candidate: RolloutRecord['candidate']): RolloutRecord => ({
  id: 'r',
  experiment: 'ab',
  control,
  candidate,
  state: 'running',
  by: 'ops',
  started_at: 0,
  updated_at: 0,
  steps: [
    {
      stage: 'canary',
      weight: 50,
      started_at: 0,
      outcome: 'advanced',
      reasons: [],
      control: { requests: 200, errors: 0, error_rate: 0, p99_ms: 40, outcomes: 0 },
      candidate: { requests: 190, errors: 1, error_rate: 0.0053, p99_ms: 42, outcomes: 0 },
    },
  ],
});

/** The registry's promote, as a table of the calls it got. */
function registry() {
  const calls: [string, string, PromoteOptions | undefined][] = [];
  return {
    calls,
    promote: (name: string, version: string, options?: PromoteOptions) => {
      calls.push([name, version, options]);
      return Promise.resolve({ name, version, status: 'serving' } as never);
    },
  };
}

describe('promoteRelease', () => {
  it('makes a candidate version of the control’s model the serving one, with the figures as the reason and no artefact purged', async () => {
    const fake = registry();
    await promoteRelease(() => Promise.resolve(fake), record({ variant: 'v3', model: 'iris-mlp', version: '3' }, { variant: 'v4', model: 'iris-mlp', version: '4' }));
    expect(fake.calls).toEqual([
      [
        'iris-mlp',
        '4',
        {
          reason: 'promoted by rollout r (started by ops): candidate 190 requests, error rate 0.0053, p99 42 ms; control 200 requests, error rate 0, p99 40 ms',
          keep: Number.POSITIVE_INFINITY,
        },
      ],
    ]);
  });

  it('leaves the release records alone when the candidate is another model (the rollout record says it)', async () => {
    const fake = registry();
    expect(await promoteRelease(() => Promise.resolve(fake), record({ variant: 'mlp', model: 'iris-mlp' }, { variant: 'softmax', model: 'iris-softmax' }))).toBeUndefined();
    expect(await promoteRelease(() => Promise.resolve(fake), record({ variant: 'a', model: 'iris-mlp' }, { variant: 'b', model: 'iris-mlp' }))).toBeUndefined(); // no version to promote
    expect(fake.calls).toEqual([]);
  });
});
