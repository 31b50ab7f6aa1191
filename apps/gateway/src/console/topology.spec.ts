import { describe, expect, it } from 'vitest';
import { encodePredictorMetadata } from '@msp/contracts';
import type { ServiceInfo, ServiceStats } from '@msp/messaging';
import { joinTopology } from './topology.js';

const info = (name: string, id: string, endpoints: string[], metadata: Record<string, string> = {}): ServiceInfo =>
  ({ name, id, version: '0.1.0', metadata, description: '', endpoints: endpoints.map((endpoint) => ({ name: endpoint, subject: `msp.${endpoint}` })) }) as unknown as ServiceInfo;

const stats = (id: string, started: string, counts: Record<string, [number, number]>): ServiceStats =>
  ({
    id,
    started,
    endpoints: Object.entries(counts).map(([name, [requests, errors]]) => ({ name, num_requests: requests, num_errors: errors })),
  }) as unknown as ServiceStats;

describe('joinTopology', () => {
  const predictor = encodePredictorMetadata({ model: 'iris-mlp', version: '2', platform: 'onnxruntime', inputs: [], outputs: [], labels: ['a', 'b'] });

  it('joins info and stats by instance id, names a predictor’s model, sorts by service, model, id', () => {
    const topology = joinTopology(
      [info('msp-predictor', 'b', ['infer', 'artefact'], predictor), info('msp-cache', 'z', ['lookup']), info('msp-predictor', 'a', ['infer'], predictor)],
      [stats('b', '2026-11-30T10:00:00.000Z', { infer: [12, 1], artefact: [2, 0] }), stats('z', '2026-11-30T09:00:00.000Z', { lookup: [5, 0] })],
      1234,
    );
    expect(topology.at).toBe(1234);
    expect(topology.instances.map((instance) => [instance.service, instance.model, instance.id])).toEqual([
      ['msp-cache', undefined, 'z'],
      ['msp-predictor', 'iris-mlp', 'a'],
      ['msp-predictor', 'iris-mlp', 'b'],
    ]);
    expect(topology.instances[2]).toEqual({
      service: 'msp-predictor',
      id: 'b',
      version: '0.1.0',
      model: 'iris-mlp',
      modelVersion: '2',
      started: '2026-11-30T10:00:00.000Z',
      endpoints: [
        { name: 'infer', subject: 'msp.infer', requests: 12, errors: 1 },
        { name: 'artefact', subject: 'msp.artefact', requests: 2, errors: 0 },
      ],
    });
  });

  it('lists an instance whose stats did not arrive in time, with zero counters', () => {
    const [only] = joinTopology([info('msp-preprocess', 'p', ['prep'])], [], 0).instances;
    expect(only).toEqual({ service: 'msp-preprocess', id: 'p', version: '0.1.0', endpoints: [{ name: 'prep', subject: 'msp.prep', requests: 0, errors: 0 }] });
  });
});
