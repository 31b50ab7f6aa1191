import type { InferRequest, InferResponse } from '@msp/contracts';
import type { InferContext } from '@msp/oip-server';
import { describe, expect, it } from 'vitest';
import type { ParametersService } from '../parameters/parameters.service.js';
import { AbService } from './ab.service.js';
import type { AbExperiment, AbVariant } from './experiment.schema.js';

const experiment: AbExperiment = {
  id: 'ab',
  kind: 'ab',
  model: 'iris',
  variants: [
    { name: 'control', model: 'iris-mlp', weight: 50 },
    { name: 'candidate', model: 'iris-softmax', weight: 50 },
  ],
};
const request: InferRequest = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] };
const context = (i: number): InferContext => ({ requestId: `r${i}`, deadline: Date.now() + 1_000 });

/** The run-time parameters AbService reads, as a table (the KV bucket's role). */
function service(values: Record<string, unknown> = {}): AbService {
  const parameters = {
    modelEnabled: (model: string) => values[`models.${model}.enabled`] !== false,
    experimentEnabled: (id: string) => values[`experiments.${id}.enabled`] !== false,
    experimentWeights: (id: string) => values[`experiments.${id}.weights`],
    experimentShadow: (id: string) => values[`experiments.${id}.shadow`],
  } as unknown as ParametersService;
  return new AbService([experiment], parameters);
}

const share = (ab: AbService, name: string) => Array.from({ length: 1_000 }, (_, i) => ab.assign(experiment, request, context(i)).name).filter((got) => got === name).length;

describe('AbService', () => {
  it('sends a switched-off variant model’s share to the other variant', () => {
    expect(share(service(), 'candidate')).toBeGreaterThan(400);
    expect(share(service({ 'models.iris-softmax.enabled': false }), 'candidate')).toBe(0);
    expect(share(service({ 'models.iris-mlp.enabled': false }), 'control')).toBe(0);
    expect(() => service({ 'models.iris-mlp.enabled': false, 'models.iris-softmax.enabled': false }).assign(experiment, request, context(1))).toThrow(/switched off/);
  });

  it('mirrors the control’s requests to the variant named by experiments.<id>.shadow, and only those', async () => {
    const ab = service({ 'experiments.ab.weights': { control: 100, candidate: 0 }, 'experiments.ab.shadow': 'candidate' });
    const mirrored: string[] = [];
    const answer = (variant: AbVariant): Promise<InferResponse> => Promise.resolve({ model_name: variant.model, outputs: [] });
    for (let i = 0; i < 5; i++) await ab.infer(experiment, undefined, request, context(i), answer, (variant) => mirrored.push(variant.name));
    expect(mirrored).toEqual(['candidate', 'candidate', 'candidate', 'candidate', 'candidate']);
    const off = service({ 'experiments.ab.weights': { control: 0, candidate: 100 }, 'experiments.ab.shadow': 'candidate' });
    expect(off.mirrorOf(experiment, experiment.variants[1]!)).toBeUndefined(); // the candidate answered: nothing to mirror
    expect(service({ 'experiments.ab.shadow': 'candidate', 'experiments.ab.enabled': false }).mirrorOf(experiment, experiment.variants[0]!)).toBeUndefined();
    expect(service({ 'experiments.ab.shadow': 'candidate', 'models.iris-softmax.enabled': false }).mirrorOf(experiment, experiment.variants[0]!)).toBeUndefined();
  });
});
