import { MODEL_NAMES } from '@msp/contracts';
import { describe, expect, it } from 'vitest';
import { planTopology, TOPOLOGY_NAMES } from './topology.js';

describe('planTopology', () => {
  it('synchronous: the gateway on PORT and two NATS-only multi-model predictors (iris, mnist) serving every model', () => {
    const plan = planTopology('synchronous', {
      ports: { gateway: 18080 },
      opsPorts: { 'predictor-iris': 19100 },
      natsUrl: 'nats://127.0.0.1:14222',
      modelsDir: '/m',
    });
    expect(plan.services.map((service) => service.name)).toEqual(['gateway', 'predictor-iris', 'predictor-mnist']);
    expect(plan.urls).toEqual({ gateway: 'http://127.0.0.1:18080' });
    expect(plan.models).toEqual([...MODEL_NAMES]);

    const [gateway, first, second] = plan.services;
    expect(gateway?.env).toEqual({ PORT: '18080', NATS_URL: 'nats://127.0.0.1:14222' });
    expect(gateway?.ready).toEqual({
      kind: 'http',
      urls: ['http://127.0.0.1:18080/v2/health/ready', ...MODEL_NAMES.map((model) => `http://127.0.0.1:18080/v2/models/${model}`)],
    });
    expect(first?.env).toEqual({
      MODEL_NAME: undefined,
      MODEL_NAMES: 'iris-softmax,iris-mlp,iris-trees',
      MODELS_DIR: '/m',
      NATS_URL: 'nats://127.0.0.1:14222',
      HTTP_PORT: undefined,
      OPS_PORT: '19100',
    });
    expect(second?.env).toMatchObject({ MODEL_NAMES: 'mnist-mlp,mnist-cnn' });
    // Readiness from the ops port, not from log text.
    expect(first?.ready).toEqual({ kind: 'http', urls: ['http://127.0.0.1:19100/health/ready'] });
  });

  it('web-single: one iris-mlp predictor with HTTP_PORT, ready on its own health', () => {
    const plan = planTopology('web-single', { ports: { webSingle: 18081 } });
    expect(plan.services).toHaveLength(1);
    expect(plan.services[0]).toMatchObject({
      name: 'web-single',
      app: 'predictor',
      env: { MODEL_NAME: 'iris-mlp', MODEL_NAMES: undefined, HTTP_PORT: '18081' },
      ready: { kind: 'http', urls: ['http://127.0.0.1:18081/v2/health/ready'] },
    });
  });

  it('all: synchronous plus web-single on 8081 by default, preprocess, workers, the cache and the monitor', () => {
    const plan = planTopology('all');
    expect(plan.services.map((service) => service.name)).toEqual([
      ...planTopology('synchronous').services.map((service) => service.name),
      'web-single',
      'preprocess',
      'worker-1',
      'worker-2',
      'cache',
      'monitor',
    ]);
    // Two replicas of iris-mlp on NATS, so one can fail over to the other.
    const servesIrisMlp = (env: Record<string, string | undefined>): boolean =>
      env['MODEL_NAME'] === 'iris-mlp' || (env['MODEL_NAMES'] ?? '').split(',').includes('iris-mlp');
    expect(plan.services.filter((service) => servesIrisMlp(service.env))).toHaveLength(2);
    expect(plan.urls).toEqual({ gateway: 'http://127.0.0.1:8080', webSingle: 'http://127.0.0.1:8081' });
  });

  it('layers env: app defaults, then every service, then one service', () => {
    const plan = planTopology('synchronous', {
      env: { LOG_LEVEL: 'debug' },
      serviceEnv: { 'predictor-iris': { FAULT_DELAY_MS: '300' } },
    });
    const env = (name: string): Record<string, string | undefined> | undefined =>
      plan.services.find((service) => service.name === name)?.env;
    expect(env('predictor-iris')).toMatchObject({ LOG_LEVEL: 'debug', FAULT_DELAY_MS: '300' });
    expect(env('predictor-mnist')).not.toHaveProperty('FAULT_DELAY_MS');
    expect(env('gateway')).toMatchObject({ LOG_LEVEL: 'debug' });
  });

  it('knows its names', () => {
    expect(TOPOLOGY_NAMES).toEqual(['synchronous', 'web-single', 'asynchronous', 'prep-pred', 'prediction-cache', 'data-cache', 'circuit-break', 'training-to-serving', 'cluster', 'shadow-ab', 'online-ab', 'promotion', 'all']);
  });

  it('cluster: two gateways on their own ports, every service given the whole server list', () => {
    const servers = 'nats://127.0.0.1:14231,nats://127.0.0.1:14232,nats://127.0.0.1:14233';
    const plan = planTopology('cluster', { ports: { gateway: 18180, gateway2: 18182 }, natsUrl: servers, env: { JETSTREAM_REPLICAS: '3' } });
    expect(plan.urls).toEqual({ gateway: 'http://127.0.0.1:18180', gateway2: 'http://127.0.0.1:18182' });
    expect(plan.services.filter((service) => service.app === 'gateway').map((service) => service.env['PORT'])).toEqual(['18180', '18182']);
    for (const service of plan.services) expect(service.env).toMatchObject({ NATS_URL: servers, JETSTREAM_REPLICAS: '3' });
  });

  it('prep-pred: gateway, two preprocess replicas (NATS only, ready on their ops port) and the mnist predictor (both models)', () => {
    const plan = planTopology('prep-pred', { natsUrl: 'nats://127.0.0.1:14222', opsPorts: { 'preprocess-1': 19101 } });
    expect(plan.services.map((service) => service.name)).toEqual([
      'gateway',
      'preprocess-1',
      'preprocess-2',
      'predictor-mnist',
    ]);
    const preprocess = plan.services.find((service) => service.name === 'preprocess-1');
    expect(preprocess).toMatchObject({ app: 'preprocess', env: { NATS_URL: 'nats://127.0.0.1:14222', OPS_PORT: '19101' },
      ready: { kind: 'http', urls: ['http://127.0.0.1:19101/health/ready'] },
    });
    expect(preprocess?.env).not.toHaveProperty('MODEL_NAME');
  });
});
