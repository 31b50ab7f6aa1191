import { describe, expect, it } from 'vitest';
import type { NatsConnection } from '@nats-io/transport-node';
import { isTransientJetStreamError, jetStreamReplicas, retryJetStreamSetup, setJetStreamReplicas } from './jetstream.storage.js';

const named = (name: string): Error => Object.assign(new Error(name), { name });

describe('JetStream replicas by connection', () => {
  it('says 1 for a connection never told, and what it was told otherwise', () => {
    const told = {} as NatsConnection;
    setJetStreamReplicas(told, 3);
    expect(jetStreamReplicas({} as NatsConnection)).toBe(1);
    expect(jetStreamReplicas(told)).toBe(3);
  });

  it('refuses a count JetStream would refuse', () => {
    for (const bad of [0, 6, 1.5]) expect(() => setJetStreamReplicas({} as NatsConnection, bad)).toThrow(RangeError);
  });
});

describe('retryJetStreamSetup', () => {
  it('retries timeouts, missing responders and a dropped connection until the step succeeds', async () => {
    const failures = [named('TimeoutError'), named('NoRespondersError'), Object.assign(new Error('connection disconnected'), { name: 'RequestError' })];
    let calls = 0;
    const result = await retryJetStreamSetup(async () => {
      calls += 1;
      const failure = failures.shift();
      if (failure) throw failure;
      return 'created';
    });
    expect({ result, calls }).toEqual({ result: 'created', calls: 4 });
  });

  it('gives up at once on any other error, and on a timeout after the deadline', async () => {
    await expect(retryJetStreamSetup(() => Promise.reject(new Error('stream name already in use')))).rejects.toThrow('already in use');
    await expect(retryJetStreamSetup(() => Promise.reject(named('TimeoutError')), 0)).rejects.toThrow('TimeoutError');
    expect(isTransientJetStreamError(new Error('boom'))).toBe(false);
    expect(isTransientJetStreamError(Object.assign(new Error('permissions violation'), { name: 'RequestError' }))).toBe(false);
  });
});
