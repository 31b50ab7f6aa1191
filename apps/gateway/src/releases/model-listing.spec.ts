import { describe, expect, it } from 'vitest';
import type { PredictorModel, ReleaseRecord } from '@msp/contracts';
import type { ModelRoute } from '../discovery/model-registry.service.js';
import { listModels } from './model-listing.js';

const route = (name: string, versions: [string, number][]): ModelRoute => ({
  name,
  versions: versions.map(([version, instances]) => ({ model: { model: name, version } as PredictorModel, instances })),
});

const record = (name: string, version: string, status: ReleaseRecord['status'], reason?: string): ReleaseRecord =>
  ({ name, version, status, metrics: { accuracy: 0.9667 }, created: '2026-11-30T04:00:00.000Z', ...(reason ? { reason } : {}) }) as unknown as ReleaseRecord;

describe('listModels', () => {
  it('joins registry statuses and live replicas per version, newest first', () => {
    const listing = listModels(
      [route('iris-mlp', [['2', 2]]), route('mnist-cnn', [['1', 1]])],
      [record('iris-mlp', '1', 'retired', 'replaced by v2'), record('iris-mlp', '2', 'serving'), record('iris-mlp', '10', 'rejected', 'below the gate')],
    );
    expect(listing).toEqual({
      registry: 'ok',
      models: [
        {
          name: 'iris-mlp',
          serving: '2',
          versions: [
            { version: '10', status: 'rejected', replicas: 0, accuracy: 0.9667, created: '2026-11-30T04:00:00.000Z', reason: 'below the gate' },
            { version: '2', status: 'serving', replicas: 2, accuracy: 0.9667, created: '2026-11-30T04:00:00.000Z' },
            { version: '1', status: 'retired', replicas: 0, accuracy: 0.9667, created: '2026-11-30T04:00:00.000Z', reason: 'replaced by v2' },
          ],
        },
        // Served from files the registry never saw (model-in-image): replicas, no status.
        { name: 'mnist-cnn', versions: [{ version: '1', replicas: 1 }] },
      ],
    });
  });

  it('still lists what the predictors advertise when the registry is unreachable', () => {
    expect(listModels([route('iris-mlp', [['1', 1]])], undefined)).toEqual({
      registry: 'unreachable',
      models: [{ name: 'iris-mlp', versions: [{ version: '1', replicas: 1 }] }],
    });
  });
});
