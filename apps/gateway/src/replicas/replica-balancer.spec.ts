import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { NoRespondersError, RequestError } from '@nats-io/transport-node';
import { MspError } from '@msp/contracts';
import type { Logger } from '@msp/telemetry';
import type { ModelRegistry, Replica } from '../discovery/model-registry.service.js';
import type { OutlierOptions } from './outlier.options.js';
import { ReplicaBalancer, type TriedReplicas } from './replica-balancer.js';

const logger = { info: vi.fn(), warn: vi.fn(), error: vi.fn(), debug: vi.fn() } as unknown as Logger;
const SUBJECT = 'msp.infer.iris';
const OPTIONS: OutlierOptions = {
  balancing: 'least-outstanding',
  attemptTimeoutMs: 250,
  consecutiveTimeouts: 3,
  baseEjectionMs: 1_000,
  maxEjectionMs: 30_000,
  maxEjectionPercent: 50,
};

type Behaviour = 'answers' | 'wedged' | 'gone';

/** Replicas a, b, … of SUBJECT as discovery would list them, each answering as told. */
function setup(behaviours: Behaviour[], options: Partial<OutlierOptions> = {}) {
  const replicas = behaviours.map((_, index): { -readonly [K in keyof Replica]: Replica[K] } => ({
    id: String.fromCharCode(97 + index),
    model: 'iris',
    subject: `msp.infer-replica.iris.${String.fromCharCode(97 + index)}`,
    seenAt: Date.now(),
  }));
  const registry = { replicasFor: (subject: string) => (subject === SUBJECT ? replicas : []) } as unknown as ModelRegistry;
  const balancer = new ReplicaBalancer(registry, { ...OPTIONS, ...options }, logger);
  const behaviourOf = new Map(replicas.map((replica, index) => [replica.subject, behaviours[index]!]));
  const sentTo: string[] = [];
  const call = (to: string): Promise<string> => {
    sentTo.push(to);
    const behaviour = behaviourOf.get(to);
    // Wedged: no answer; NATS gives up at the request's deadline (1 s here).
    if (behaviour === 'wedged') return new Promise<string>((_, reject) => setTimeout(() => reject(MspError.deadlineExceeded('no answer')), 1_000));
    if (behaviour === 'gone') return Promise.reject(MspError.unavailable('no service', new RequestError('no responders', { cause: new NoRespondersError(to) })));
    return Promise.resolve(to);
  };
  /** One request, the way PredictorClient sends it: a set of tried replicas of its own. */
  const request = (tried: TriedReplicas = new Set()) => balancer.send(SUBJECT, tried, call);
  /** One request not waited for (it may end at its deadline). */
  const fire = (tried: TriedReplicas = new Set()): void => void request(tried).catch(() => undefined);
  /** A discovery round that every replica but the ones named answered. */
  const round = (...silent: string[]) => {
    for (const replica of replicas) if (!silent.includes(replica.id)) replica.seenAt = Date.now();
  };
  const ids = (subjects: string[]) => subjects.map((subject) => subject.split('.').at(-1));
  return { balancer, replicas, sentTo, request, fire, round, ids, setBehaviour: (id: string, behaviour: Behaviour) => behaviourOf.set(`msp.infer-replica.iris.${id}`, behaviour) };
}

describe('ReplicaBalancer', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  it('sends to the replica with the fewest requests in flight, by its own subject', async () => {
    const { request, fire, sentTo, ids } = setup(['wedged', 'answers']);
    fire(new Set(['b'])); // one request waits at a
    for (let i = 0; i < 5; i++) await request();
    expect(ids(sentTo)).toEqual(['a', 'b', 'b', 'b', 'b', 'b']);
  });

  it('sends a second try of the same request (a hedge) to another replica', async () => {
    const { request, sentTo, ids } = setup(['answers', 'answers']);
    const tried: TriedReplicas = new Set();
    await request(tried);
    await request(tried);
    expect(ids(sentTo).sort()).toEqual(['a', 'b']);
    // Both tried: a third goes to one of them again rather than to the queue group.
    await request(tried);
    expect(sentTo).toHaveLength(3);
    expect(sentTo.every((subject) => subject.startsWith('msp.infer-replica.'))).toBe(true);
  });

  it('ejects a replica after three tries in a row unanswered for 250 ms, and sends it nothing more', async () => {
    const { request, fire, sentTo, ids } = setup(['wedged', 'answers']);
    // Each request's first try to the wedged replica (its second try would be the hedge to b).
    for (let i = 0; i < 3; i++) fire(new Set(['b']));
    expect(ids(sentTo)).toEqual(['a', 'a', 'a']);
    await vi.advanceTimersByTimeAsync(249);
    fire(new Set(['b']));
    expect(ids(sentTo).at(-1)).toBe('a'); // not yet: nothing has waited 250 ms
    await vi.advanceTimersByTimeAsync(2); // the 250 ms are up (judged in the loop turn after)
    sentTo.length = 0;
    for (let i = 0; i < 20; i++) await request();
    expect(ids(sentTo)).toEqual(Array(20).fill('b'));
    // Even a request that has tried b already goes to b, not to the ejected replica.
    await request(new Set(['b']));
    expect(ids(sentTo).at(-1)).toBe('b');
  });

  it('takes an ejected replica back only after its ejection time and a discovery round it answered', async () => {
    const { request, fire, sentTo, ids, round, setBehaviour } = setup(['wedged', 'answers']);
    for (let i = 0; i < 3; i++) fire(new Set(['b']));
    await vi.advanceTimersByTimeAsync(251);
    // Rounds it did not answer (still wedged) do not bring it back, however long it has been out.
    await vi.advanceTimersByTimeAsync(5_000);
    round('a');
    sentTo.length = 0;
    await request(new Set(['b']));
    expect(ids(sentTo)).toEqual(['b']);
    // Resumed: it answers the next round and takes work again.
    setBehaviour('a', 'answers');
    round();
    sentTo.length = 0;
    for (let i = 0; i < 20; i++) await request();
    expect(ids(sentTo)).toContain('a');
  });

  it('ejects a replica that fails again soon after it came back for longer each time', async () => {
    const { fire, sentTo, ids, round } = setup(['wedged', 'answers']);
    const eject = async () => {
      for (let i = 0; i < 3; i++) fire(new Set(['b']));
      await vi.advanceTimersByTimeAsync(251);
    };
    await eject();
    await vi.advanceTimersByTimeAsync(1_000);
    round();
    await eject(); // back at once (answered a round), wedged again: out for 2 × 1 s now
    await vi.advanceTimersByTimeAsync(1_000);
    round();
    sentTo.length = 0;
    fire(new Set(['b']));
    expect(ids(sentTo)).toEqual(['b']);
    await vi.advanceTimersByTimeAsync(1_000);
    round();
    fire(new Set(['b']));
    expect(ids(sentTo).at(-1)).toBe('a');
  });

  it('never ejects the last replica: with both wedged, one keeps getting work', async () => {
    const { fire, sentTo, ids } = setup(['wedged', 'wedged']);
    for (let i = 0; i < 6; i++) fire();
    await vi.advanceTimersByTimeAsync(251);
    sentTo.length = 0;
    for (let i = 0; i < 4; i++) fire();
    expect(new Set(ids(sentTo)).size).toBe(1);
  });

  it('a replica whose subject has no listener (gone): the same request goes to the next one at once', async () => {
    const { request, sentTo, ids } = setup(['gone', 'answers']);
    const answers: string[] = [];
    for (let i = 0; i < 10; i++) answers.push(await request());
    expect(answers.every((answer) => answer.endsWith('.b'))).toBe(true);
    expect(ids(sentTo).filter((id) => id === 'a').length).toBeLessThanOrEqual(1);
  });

  it('leaves a subject whose replicas it does not know, and everything when balancing is queue-group, to the queue group', async () => {
    const { balancer, sentTo } = setup(['answers']);
    await balancer.send('msp.infer.unknown', new Set(), (to) => Promise.resolve(sentTo.push(to)));
    expect(sentTo).toEqual(['msp.infer.unknown']);
    const queued = setup(['wedged', 'answers'], { balancing: 'queue-group' });
    await queued.request();
    expect(queued.sentTo).toEqual([SUBJECT]);
  });

  it('does not eject a replica that leaves some requests unanswered but answers others meanwhile (busy, not wedged)', async () => {
    const { balancer, replicas } = setup(['answers', 'answers']);
    let hang = true;
    const flaky = (to: string) => (hang ? new Promise<string>(() => undefined) : Promise.resolve(to));
    for (let round = 0; round < 5; round++) {
      // Three requests a does not answer, then one it answers 100 ms later, before their 250 ms are up.
      hang = true;
      for (let i = 0; i < 3; i++) void balancer.send(SUBJECT, new Set(['b']), flaky);
      await vi.advanceTimersByTimeAsync(100);
      hang = false;
      await balancer.send(SUBJECT, new Set(['b']), flaky);
      await vi.advanceTimersByTimeAsync(200);
    }
    const sentTo: string[] = [];
    await balancer.send(SUBJECT, new Set(['b']), (to) => Promise.resolve(sentTo.push(to)));
    expect(sentTo).toEqual([replicas[0]!.subject]);
  });

  it('counts nothing against a replica that answers, even late or with an error', async () => {
    const { balancer, replicas } = setup(['answers', 'answers']);
    let calls = 0;
    // Every answer of a takes 300 ms (over the attempt timeout), then comes.
    const slow = (to: string) =>
      new Promise<string>((resolve, reject) => {
        calls += 1;
        setTimeout(() => (calls % 2 ? resolve(to) : reject(MspError.internal('model failed'))), 300);
      });
    for (let i = 0; i < 6; i++) {
      const answer = balancer.send(SUBJECT, new Set(['b']), slow).catch(() => undefined);
      await vi.advanceTimersByTimeAsync(300);
      await answer;
    }
    const sentTo: string[] = [];
    await balancer.send(SUBJECT, new Set(['b']), (to) => Promise.resolve(sentTo.push(to)));
    expect(sentTo).toEqual([replicas[0]!.subject]);
  });
});
