import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { Kvm } from '@nats-io/kv';
import type { RolloutRecord } from '@msp/contracts';
import { RolloutLog } from './index.js';

/** Integration: the rollout records' compare-and-set against the real nats-server (JetStream) on NATS_URL. */
const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
// A bucket of this run's own: the project's `msp-rollouts` may be in use by a running system.
const bucket = `spec-rollouts-${process.pid}-${Date.now()}`;

const record = (id: string, by: string): RolloutRecord => ({
  id,
  experiment: 'ab',
  control: { variant: 'control', model: 'iris-mlp' },
  candidate: { variant: 'candidate', model: 'iris-softmax' },
  state: 'running',
  by,
  started_at: Date.now(),
  updated_at: Date.now(),
  steps: [],
});

/** Two gateways: two connections, each with its own handle on the bucket. */
let connections: NatsConnection[] = [];
let gateways: RolloutLog[] = [];

beforeAll(async () => {
  connections = await Promise.all([connect({ servers: NATS_URL }), connect({ servers: NATS_URL })]);
  gateways = await Promise.all(connections.map((nc) => RolloutLog.open(nc, bucket)));
});

afterAll(async () => {
  if (connections[0]) await new Kvm(connections[0]).open(bucket).then((kv) => kv.destroy()).catch(() => undefined);
  await Promise.all(connections.map((nc) => nc.drain()));
});

describe('RolloutLog.claim (the start check) over a real JetStream', () => {
  it('lets exactly one of two gateways start a rollout that never ran, when both start it at once', async () => {
    const [a, b] = gateways as [RolloutLog, RolloutLog];
    const [readA, readB] = await Promise.all([a.entry('first'), b.entry('first')]);
    expect([readA, readB]).toEqual([undefined, undefined]);
    const won = await Promise.all([a.claim(record('first', 'a'), readA?.revision), b.claim(record('first', 'b'), readB?.revision)]);
    expect(won.filter(Boolean)).toHaveLength(1);
    expect((await a.get('first'))?.by).toBe(won[0] ? 'a' : 'b');
  });

  it('lets exactly one restart a finished rollout from the revision both read, and refuses a stale revision', async () => {
    const [a, b] = gateways as [RolloutLog, RolloutLog];
    await a.put({ ...record('again', 'earlier'), state: 'rolled_back' });
    const [readA, readB] = await Promise.all([a.entry('again'), b.entry('again')]);
    expect(readA?.revision).toBe(readB?.revision);
    expect(readA?.record.state).toBe('rolled_back');
    const won = await Promise.all([a.claim(record('again', 'a'), readA?.revision), b.claim(record('again', 'b'), readB?.revision)]);
    expect(won.filter(Boolean)).toHaveLength(1);
    // The loser's revision is stale now: a retry with it is refused too, and the winner's record stands.
    expect(await (won[0] ? b : a).claim(record('again', 'late'), readA?.revision)).toBe(false);
    expect((await b.get('again'))?.by).toBe(won[0] ? 'a' : 'b');
  });
});
