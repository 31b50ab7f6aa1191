import { describe, expect, it, vi } from 'vitest';
import { MspError, type PredictorModel } from '@msp/contracts';
import type { Logger } from '@msp/telemetry';
import { DISCOVERY_DEFAULTS, FORGET_AFTER_MS, missesToForget } from './discovery.options.js';
import { ModelRegistry, toMetadata } from './model-registry.service.js';
import type { PredictorDiscoveryClient, PredictorInstance } from './predictor-discovery.client.js';

const logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn(), debug: vi.fn() } as unknown as Logger;

const model = (name: string, version: string, inputs = [{ name: 'x', datatype: 'FP32' as const, shape: [-1, 4] }]): PredictorModel => ({
  model: name,
  version,
  platform: 'onnxruntime',
  inputs,
  outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }],
  labels: ['a', 'b', 'c'],
});

let nextId = 0;
const instance = (m: PredictorModel): PredictorInstance => ({ instanceId: `i${nextId++}`, model: m });

function registryWith(rounds: PredictorInstance[][]) {
  // Each round answers the next list; the last one repeats.
  const discover = vi.fn(async () => (rounds.length > 1 ? rounds.shift() : rounds[0]) ?? []);
  const client = { discover } as unknown as PredictorDiscoveryClient;
  const registry = new ModelRegistry(client, { ...DISCOVERY_DEFAULTS, intervalMs: 60_000, onDemandMinIntervalMs: 0 }, logger);
  return { registry, discover };
}

describe('ModelRegistry', () => {
  it('remembers a model whose replicas all went away for minutes (503, retried), not one round (404)', () => {
    expect(missesToForget(2_000)).toBe(FORGET_AFTER_MS / 2_000);
    expect(missesToForget(500_000)).toBe(2);
    const client = { discover: vi.fn() } as unknown as PredictorDiscoveryClient;
    const registry = new ModelRegistry(client, { ...DISCOVERY_DEFAULTS, intervalMs: 2_000, missesToForget: missesToForget(2_000) }, logger);
    registry.apply([instance(model('iris', '1'))]);
    for (let round = 1; round < missesToForget(2_000); round++) registry.apply([]);
    expect(registry.find('iris')?.versions.map((v) => v.instances)).toEqual([0]);
    expect(registry.hasServableModel()).toBe(false);
    // What the prediction cache keys by while no replica runs: the version that answered last.
    expect(registry.liveVersion('iris')).toBe('1');
    registry.apply([]);
    expect(registry.find('iris')).toBeUndefined();
    expect(registry.liveVersion('iris')).toBeUndefined();
  });

  it('forgets a version replaced by another within two rounds, as a rollout expects', () => {
    const client = { discover: vi.fn() } as unknown as PredictorDiscoveryClient;
    const registry = new ModelRegistry(client, { ...DISCOVERY_DEFAULTS, intervalMs: 2_000, missesToForget: 150 }, logger);
    registry.apply([instance(model('iris', '1'))]);
    registry.apply([instance(model('iris', '2'))]);
    expect(registry.find('iris')?.versions.map((v) => [v.model.version, v.instances])).toEqual([
      ['2', 1],
      ['1', 0],
    ]);
    registry.apply([instance(model('iris', '2'))]);
    expect(registry.find('iris')?.versions.map((v) => v.model.version)).toEqual(['2']);
  });

  it('knows nothing and is not servable before discovery', () => {
    const { registry } = registryWith([]);
    expect(registry.find('iris')).toBeUndefined();
    expect(registry.hasServableModel()).toBe(false);
    expect(registry.list()).toEqual([]);
  });

  it('groups instances by model and version, newest version first', () => {
    const { registry } = registryWith([]);
    registry.apply([
      instance(model('iris', '2')),
      instance(model('iris', '10')),
      instance(model('iris', '10')),
      instance(model('mnist', '1')),
    ]);
    const iris = registry.find('iris');
    expect(iris?.versions.map((v) => [v.model.version, v.instances])).toEqual([
      ['10', 2],
      ['2', 1],
    ]);
    expect(registry.find('iris', '2')?.versions).toHaveLength(1);
    expect(registry.find('iris', '3')).toBeUndefined();
    expect(registry.hasServableModel()).toBe(true);
    expect(registry.list().map((m) => m.name)).toEqual(['iris', 'mnist']);
  });

  it('builds OIP metadata from the newest version', () => {
    const { registry } = registryWith([]);
    registry.apply([instance(model('iris', '1')), instance(model('iris', '2'))]);
    const route = registry.find('iris');
    expect(route && toMetadata(route)).toEqual({
      name: 'iris',
      versions: ['2', '1'],
      platform: 'onnxruntime',
      inputs: [{ name: 'x', datatype: 'FP32', shape: [-1, 4] }],
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }],
      parameters: { labels: ['a', 'b', 'c'], instances: 2 },
    });
  });

  it('marks a vanished version as having no instance, then forgets it after the grace rounds', () => {
    const { registry } = registryWith([]);
    registry.apply([instance(model('iris', '1'))]);
    registry.apply([]);
    expect(registry.find('iris')?.versions[0]?.instances).toBe(0);
    expect(registry.hasServableModel()).toBe(false);
    registry.apply([]);
    expect(registry.find('iris')).toBeUndefined();
  });

  it('keeps a version that answers again within the grace rounds', () => {
    const { registry } = registryWith([]);
    registry.apply([instance(model('iris', '1'))]);
    registry.apply([]);
    registry.apply([instance(model('iris', '1'))]);
    registry.apply([]);
    expect(registry.find('iris')?.versions[0]?.model.version).toBe('1');
  });

  it('ignores models whose name or version is not a safe subject token', () => {
    const { registry } = registryWith([]);
    registry.apply([
      instance(model('a.b', '1')),
      instance(model('star*', '1')),
      instance(model('iris', '1 2')),
      instance(model('iris', '>')),
      instance(model('iris', '1..2')),
      instance(model('iris', '1.')),
      instance(model('mnist', '2026.11.21')),
    ]);
    expect(registry.list().map((m) => `${m.name}@${m.versions.join()}`)).toEqual(['mnist@2026.11.21']);
  });

  it('resolves an unknown model by discovering on demand', async () => {
    const { registry, discover } = registryWith([[instance(model('iris', '1'))]]);
    const route = await registry.resolve('iris');
    expect(route.name).toBe('iris');
    expect(discover).toHaveBeenCalledTimes(1);
  });

  it('answers 404 naming the known models or versions', async () => {
    const { registry } = registryWith([[instance(model('iris', '1')), instance(model('mnist', '3'))]]);
    await registry.refresh();
    await expect(registry.resolve('nope')).rejects.toThrow(/unknown model 'nope' \(known models: iris, mnist\)/);
    await expect(registry.resolve('iris', '9')).rejects.toThrow(/no version '9' \(known versions: 1\)/);
    await expect(registry.resolve('nope')).rejects.toSatisfy((error) => MspError.is(error) && error.code === 404);
  });

  it('says when no predictor runs at all', async () => {
    const { registry } = registryWith([]);
    await expect(registry.resolve('iris')).rejects.toThrow(/no predictor is running/);
  });

  it('rate-limits on-demand discovery and shares a round in flight', async () => {
    const discover = vi.fn(async () => {
      await new Promise((resolve) => setTimeout(resolve, 20));
      return [];
    });
    const client = { discover } as unknown as PredictorDiscoveryClient;
    const registry = new ModelRegistry(client, { ...DISCOVERY_DEFAULTS, intervalMs: 60_000, onDemandMinIntervalMs: 10_000 }, logger);
    await Promise.allSettled([registry.resolve('a'), registry.resolve('b'), registry.resolve('c')]);
    expect(discover).toHaveBeenCalledTimes(1);
    await expect(registry.resolve('d')).rejects.toThrow(/unknown model/);
    expect(discover).toHaveBeenCalledTimes(1);
  });

  it('lists the replicas it can send to one by one, per queue-group subject, and keeps each across rounds', () => {
    const { registry } = registryWith([]);
    const replica = (id: string, version: string, subjects: string[]): PredictorInstance => ({
      instanceId: id,
      model: model('iris', version),
      subjects,
      replicaSubject: `msp.infer-replica.iris.${id}`,
    });
    const a = replica('a', '1', ['msp.infer.iris', 'msp.infer.iris.1']);
    const b = replica('b', '1', ['msp.infer.iris', 'msp.infer.iris.1']);
    const canary = replica('c', '2', ['msp.infer.iris.2']);
    registry.apply([a, b, canary], 1_000);
    expect(registry.replicasFor('msp.infer.iris').map((r) => [r.id, r.subject, r.seenAt])).toEqual([
      ['a', 'msp.infer-replica.iris.a', 1_000],
      ['b', 'msp.infer-replica.iris.b', 1_000],
    ]);
    expect(registry.replicasFor('msp.infer.iris.2').map((r) => r.id)).toEqual(['c']);
    const first = registry.replicasFor('msp.infer.iris')[0];
    // b misses one round (late on a busy host): still listed, its heartbeat where it was; a second: dropped.
    registry.apply([a, canary], 3_000);
    expect(registry.replicasFor('msp.infer.iris').map((r) => [r.id, r.seenAt])).toEqual([
      ['a', 3_000],
      ['b', 1_000],
    ]);
    expect(registry.replicasFor('msp.infer.iris')[0]).toBe(first);
    registry.apply([a, canary], 5_000);
    expect(registry.replicasFor('msp.infer.iris').map((r) => r.id)).toEqual(['a']);
  });

  it('leaves a subject to its queue group while any replica of it has no subject of its own (an older predictor)', () => {
    const { registry } = registryWith([]);
    registry.apply([
      { instanceId: 'new', model: model('iris', '1'), subjects: ['msp.infer.iris'], replicaSubject: 'msp.infer-replica.iris.new' },
      { instanceId: 'old', model: model('iris', '1'), subjects: ['msp.infer.iris'] },
    ]);
    expect(registry.replicasFor('msp.infer.iris')).toEqual([]);
    expect(registry.find('iris')?.versions[0]?.instances).toBe(2);
  });

  it('keeps what it knows when a round fails', async () => {
    const discover = vi.fn().mockResolvedValueOnce([instance(model('iris', '1'))]).mockRejectedValueOnce(new Error('nats down'));
    const registry = new ModelRegistry({ discover } as unknown as PredictorDiscoveryClient, { ...DISCOVERY_DEFAULTS, intervalMs: 60_000 }, logger);
    await registry.refresh();
    await registry.refresh();
    expect(registry.find('iris')?.versions[0]?.instances).toBe(1);
  });
});
