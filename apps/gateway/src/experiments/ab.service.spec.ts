import { MspError, type InferRequest, type InferResponse } from '@msp/contracts';
import type { InferContext } from '@msp/oip-server';
import type { PredictionEntry, PredictionLog } from '@msp/prediction-log';
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
const context = (i: number, headers?: Record<string, string>): InferContext => ({
  requestId: `r${i}`,
  deadline: Date.now() + 1_000,
  ...(headers ? { setHeader: (name: string, value: string) => void (headers[name] = value) } : {}),
});

/** What AbService logged itself (a failure the fallback answered). */
let logged: PredictionEntry[] = [];

/** The run-time parameters AbService reads, as a table (the KV bucket's role). */
function service(values: Record<string, unknown> = {}): AbService {
  const parameters = {
    modelEnabled: (model: string) => values[`models.${model}.enabled`] !== false,
    experimentEnabled: (id: string) => values[`experiments.${id}.enabled`] !== false,
    experimentWeights: (id: string) => values[`experiments.${id}.weights`],
    experimentShadow: (id: string) => values[`experiments.${id}.shadow`],
    experimentFallback: (id: string) => values[`experiments.${id}.fallback`],
  } as unknown as ParametersService;
  logged = [];
  const log = { record: (entry: PredictionEntry) => logged.push(entry) } as unknown as PredictionLog;
  return new AbService([experiment], parameters, log);
}

/** A canary step: every request on the candidate, whose failures the control answers with 40 % of the time left to the candidate. */
const canary = { 'experiments.ab.weights': { control: 0, candidate: 100 }, 'experiments.ab.fallback': { variant: 'control', assigned_share: 0.4 } };

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

  it('answers from the control, 200, when the candidate fails during a canary, and logs the failure under the candidate', async () => {
    const ab = service(canary);
    const headers: Record<string, string> = {};
    const deadlines: Record<string, number> = {};
    const ctx = context(1, headers);
    const call = (variant: AbVariant, within: InferContext): Promise<InferResponse> => {
      deadlines[variant.name] = within.deadline;
      return variant.name === 'candidate' ? Promise.reject(MspError.unavailable('candidate broken')) : Promise.resolve({ model_name: variant.model, model_version: '1', outputs: [] });
    };
    const answer = await ab.infer(experiment, undefined, request, ctx, call);
    expect(answer.parameters?.['experiment']).toEqual({ id: 'ab', variant: 'control', model: 'iris-mlp', fallback_from: 'candidate' });
    expect(headers['x-msp-variant']).toBe('control');
    // The candidate had 40 % of the time left; the control the request's own deadline.
    expect(deadlines['candidate']! - Date.now()).toBeLessThanOrEqual(400);
    expect(deadlines['candidate']! - Date.now()).toBeGreaterThan(300);
    expect(deadlines['control']).toBe(ctx.deadline);
    expect(logged).toMatchObject([{ requestId: 'r1', model: 'iris', experiment: { id: 'ab', variant: 'candidate' }, status: 503, error: expect.stringMatching(/candidate broken/) }]);
    // The client's own record goes under the control, apart from its exposures.
    expect(ab.experimentOfAnswer(answer)).toEqual({ id: 'ab', variant: 'control', side: 'fallback' });
  });

  it('gives the control nothing to do when the candidate answers, and keeps today’s behaviour without the fallback parameter', async () => {
    const ok = (variant: AbVariant): Promise<InferResponse> => Promise.resolve({ model_name: variant.model, outputs: [] });
    const answered = await service(canary).infer(experiment, undefined, request, context(2), ok);
    expect(answered.parameters?.['experiment']).toEqual({ id: 'ab', variant: 'candidate', model: 'iris-softmax' });
    expect(service(canary).experimentOfAnswer(answered)).toBeUndefined();
    const broken = (variant: AbVariant): Promise<InferResponse> => (variant.name === 'candidate' ? Promise.reject(MspError.unavailable('candidate broken')) : ok(variant));
    await expect(service({ 'experiments.ab.weights': { control: 0, candidate: 100 } }).infer(experiment, undefined, request, context(3), broken)).rejects.toThrow(/candidate broken/);
    expect(logged).toEqual([]);
  });

  it('fails with the control’s error, logging nothing more, when the control fails too', async () => {
    const ab = service(canary);
    const both = (variant: AbVariant): Promise<InferResponse> => Promise.reject(MspError.unavailable(`${variant.name} broken`));
    await expect(ab.infer(experiment, undefined, request, context(4), both)).rejects.toThrow(/control broken/);
    expect(logged).toEqual([]); // the client's own record (under the candidate) is the one failure
  });
});
