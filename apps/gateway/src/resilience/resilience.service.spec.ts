import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { MspError, type InferResponse } from '@msp/contracts';
import type { InferContext } from '@msp/oip-server';
import { Metrics } from '@msp/telemetry';
import type { ResilienceOptions } from './resilience.options.js';
import { ResilienceService } from './resilience.service.js';

const options: ResilienceOptions = {
  maxInFlight: 2,
  maxQueued: 1,
  breakerFailures: 3,
  breakerHalfOpenMs: 100,
  hedge: { minDelayMs: 50, maxDelayMs: 50, budgetRatio: 0 },
  fallbacks: { 'iris-mlp': 'iris-softmax' },
};
const answer = (model: string): InferResponse => ({ model_name: model, model_version: '1', outputs: [] });

function context(): InferContext & { headers: Record<string, string> } {
  const headers: Record<string, string> = {};
  return { requestId: 'r', deadline: Date.now() + 5000, headers, setHeader: (name, value) => void (headers[name] = value) };
}

describe('ResilienceService', () => {
  it('opens a failing model’s circuit and answers from its fallback, marked degraded', async () => {
    const service = new ResilienceService(options);
    const calls: string[] = [];
    const call = async (model: string): Promise<InferResponse> => {
      calls.push(model);
      if (model === 'iris-mlp') throw MspError.internal('broken');
      return answer(model);
    };
    for (let i = 0; i < 3; i += 1) await expect(service.infer('iris-mlp', undefined, context(), call)).rejects.toThrow('broken');
    const ctx = context();
    const response = await service.infer('iris-mlp', undefined, ctx, call);
    expect(response.model_name).toBe('iris-softmax');
    expect(response.parameters).toMatchObject({ degraded: true, fallback_for: 'iris-mlp' });
    expect(ctx.headers['x-msp-degraded']).toBe('fallback=iris-softmax');
    expect(calls.filter((model) => model === 'iris-mlp')).toHaveLength(3);
  });

  it('without a fallback answers 503 with Retry-After at once, then probes and closes again', async () => {
    const service = new ResilienceService(options);
    let healthy = false;
    const call = async (model: string): Promise<InferResponse> => {
      if (!healthy) throw MspError.deadlineExceeded('late');
      return answer(model);
    };
    for (let i = 0; i < 3; i += 1) await expect(service.infer('iris-trees', undefined, context(), call)).rejects.toThrow('late');
    const open = await service.infer('iris-trees', undefined, context(), call).catch((error: unknown) => error);
    expect(open).toMatchObject({ code: 503, retryAfterS: 1 });
    expect((open as Error).message).toMatch(/iris-trees.*circuit is open/);
    healthy = true;
    await sleep(120);
    await expect(service.infer('iris-trees', undefined, context(), call)).resolves.toMatchObject({ model_name: 'iris-trees' });
  });

  it('exposes each breaker’s state and every fallback answer as metrics', async () => {
    const metrics = new Metrics({ service: 'spec', defaultMetrics: false });
    const service = new ResilienceService(options, metrics);
    const call = async (model: string): Promise<InferResponse> => {
      if (model === 'iris-mlp') throw MspError.internal('broken');
      return answer(model);
    };
    const state = async (): Promise<string | undefined> => (await metrics.expose()).body.match(/msp_circuit_state\{model="iris-mlp"[^}]*\} (\d)/)?.[1];
    await expect(service.infer('iris-mlp', undefined, context(), call)).rejects.toThrow('broken');
    expect(await state()).toBe('0');
    for (let i = 0; i < 2; i += 1) await expect(service.infer('iris-mlp', undefined, context(), call)).rejects.toThrow('broken');
    await service.infer('iris-mlp', undefined, context(), call);
    expect(await state()).toBe('2');
    const { body } = await metrics.expose();
    expect(body).toContain('msp_circuit_transitions_total{model="iris-mlp",state="open",service="spec"} 1');
    expect(body).toContain('msp_fallbacks_total{model="iris-mlp",fallback="iris-softmax",service="spec"} 1');
    await sleep(120); // half-open: the next call probes, fails, and opens the circuit again
    await expect(service.infer('iris-mlp', undefined, context(), call)).rejects.toThrow('broken');
    expect(await state()).toBe('2');
    expect((await metrics.expose()).body).toContain('msp_circuit_transitions_total{model="iris-mlp",state="half_open",service="spec"} 1');
  });

  it('does not count wrong requests or shed ones as failures', async () => {
    const service = new ResilienceService(options);
    const call = async (): Promise<InferResponse> => {
      throw MspError.badRequest('bad');
    };
    for (let i = 0; i < 5; i += 1) await expect(service.infer('iris-trees', undefined, context(), call)).rejects.toThrow('bad');
  });

  it('sheds what is beyond in-flight plus queued with 429 and Retry-After, at once', async () => {
    const service = new ResilienceService(options);
    const call = async (model: string): Promise<InferResponse> => {
      await sleep(40);
      return answer(model);
    };
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => service.infer('mnist-mlp', undefined, context(), call)),
    );
    const rejected = results.filter((result) => result.status === 'rejected');
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(3);
    expect(rejected).toHaveLength(2);
    expect((rejected[0] as PromiseRejectedResult).reason).toMatchObject({ code: 429, retryAfterS: 1 });
  });
});
