import { describe, expect, it } from 'vitest';
import { jobQueueNames } from './jobs.js';
import { MODEL_NAMES } from './manifest.schema.js';
import { natsAuthConfig, natsBaseConfig, natsPasswordVariable, NATS_LIVENESS } from './nats-server.config.js';
import { inboxPrefixOf, natsUsers, PREDICTOR_GROUPS, predictorUser } from './nats-users.js';
import { QueueGroups, Subjects } from './subjects.js';

const userOf = (name: string) => {
  const user = natsUsers().find((candidate) => candidate.user === name);
  if (!user) throw new Error(`no user ${name}`);
  return user;
};

describe('natsUsers (the permissions table)', () => {
  it('has one user per service and one per model’s predictors', () => {
    expect(natsUsers().map((user) => user.user)).toEqual([
      'gateway',
      'worker',
      'preprocess',
      'cache',
      'monitor',
      'admin',
      ...MODEL_NAMES.map(predictorUser),
      'predictor-iris',
      'predictor-mnist',
    ]);
    expect(natsUsers({ models: ['my-model'] }).map((user) => user.user)).toContain('predictor-my-model');
  });

  it('lets a predictor subscribe to its own model only, in its own queue group, and to its own inbox', () => {
    const predictor = userOf(predictorUser('iris-mlp'));
    expect(predictor.subscribe).toContain(`${Subjects.infer('iris-mlp')} ${QueueGroups.predictor('iris-mlp')}`);
    // Its replica's own subject, by which the gateway picks replicas (any id: it is made at start).
    expect(predictor.subscribe).toContain(`msp.infer-replica.iris-mlp.* ${QueueGroups.predictor('iris-mlp')}`);
    expect(predictor.subscribe).toContain(`${inboxPrefixOf('predictor-iris-mlp')}.>`);
    expect(predictor.subscribe.join(' ')).not.toMatch(/iris-softmax|msp\.infer\.>|_INBOX\.>/);
    expect(predictor.allowResponses).toBe(true);
  });

  it('never lets a predictor write the registry, the routing table or another model’s log', () => {
    const publish = userOf(predictorUser('iris-mlp')).publish;
    expect(publish.filter((subject) => subject.startsWith('$KV.') || subject.startsWith('$O.'))).toEqual([]);
    expect(publish.filter((subject) => /STREAM\.(DELETE|PURGE)/.test(subject))).toEqual([]);
    expect(publish).toContain('msp.log.iris-mlp');
    expect(publish).not.toContain('msp.log.>');
  });

  it('lets a multi-model predictor serve and log each of its models, and no other', () => {
    const iris = userOf(predictorUser('iris'));
    expect(PREDICTOR_GROUPS.iris).toEqual(['iris-softmax', 'iris-mlp', 'iris-trees']);
    for (const model of PREDICTOR_GROUPS.iris) {
      expect(iris.subscribe).toContain(`${Subjects.infer(model)} ${QueueGroups.predictor(model)}`);
      expect(iris.subscribe).toContain(`${Subjects.artefact(model, '*')} ${QueueGroups.predictor(model)}`);
      expect(iris.publish).toContain(`msp.log.${model}`);
    }
    expect([...iris.subscribe, ...iris.publish].join(' ')).not.toMatch(/mnist/);
  });

  it('lets the gateway ask every service but serve none, and write only the release records (a rollout promoting a version), parameters and rollouts buckets', () => {
    const gateway = userOf('gateway');
    expect(gateway.publish).toEqual(expect.arrayContaining(['msp.infer.>', 'msp.infer-replica.*.*']));
    expect(gateway.publish).toEqual(expect.arrayContaining(['$SRV.INFO', '$SRV.STATS', 'msp.artefact.*.*']));
    expect(gateway.subscribe).toEqual([`${inboxPrefixOf('gateway')}.>`]);
    expect(gateway.publish.filter((subject) => subject.startsWith('$KV.'))).toEqual(['$KV.msp-releases.>', '$KV.msp-parameters.>', '$KV.msp-rollouts.>']);
    expect(gateway.publish.filter((subject) => subject.startsWith('$O.') || subject.includes('PURGE') || subject.includes('MSG.DELETE'))).toEqual([]); // no artefact written or deleted
  });

  it('lets the monitor write only the shared alert states', () => {
    expect(userOf('monitor').publish.filter((subject) => subject.startsWith('$KV.'))).toEqual(['$KV.msp-alerts.>']);
  });

  it('follows the jobs namespaces, each with rights of its own and no others', () => {
    const users = natsUsers({ jobsNamespaces: ['e2e', 'team-b'] });
    const worker = users.find((user) => user.user === 'worker')!;
    const gateway = users.find((user) => user.user === 'gateway')!;
    for (const namespace of ['e2e', 'team-b']) {
      const jobs = jobQueueNames(namespace);
      expect(worker.publish).toContain(`$JS.ACK.${jobs.stream}.>`);
      expect(worker.publish).toContain(`$JS.API.CONSUMER.MSG.NEXT.${jobs.stream}.>`);
      expect(worker.subscribe.some((subject) => subject.startsWith(`$JS.EVENT.ADVISORY.CONSUMER.MAX_DELIVERIES.${jobs.stream}.`))).toBe(true);
      expect(gateway.publish).toContain(jobs.subjects);
    }
    // The default namespace is not granted unless asked for.
    expect(worker.publish.join(' ')).not.toContain(jobQueueNames().stream);
    expect(userOf('worker').publish).toContain(`$JS.ACK.${jobQueueNames().stream}.>`);
  });
});

describe('nats-server config', () => {
  it('drops a frozen client after the liveness pings', () => {
    expect(natsBaseConfig()).toContain(`ping_interval: "${NATS_LIVENESS.pingIntervalS}s"`);
    expect(natsBaseConfig()).toContain(`ping_max: ${NATS_LIVENESS.pingMax}`);
  });

  it('reads each password from a variable of its own, or writes the given ones', () => {
    const users = natsUsers();
    const fromEnv = natsAuthConfig(users);
    expect(fromEnv).toContain('include nats.conf');
    expect(fromEnv).toContain(`password: $${natsPasswordVariable('predictor-iris-mlp')}`);
    expect(natsPasswordVariable('predictor-iris-mlp')).toBe('MSP_NATS_PASSWORD_PREDICTOR_IRIS_MLP');
    const passwords = Object.fromEntries(users.map((user) => [user.user, `pw-${user.user}`]));
    const inline = natsAuthConfig(users, { passwords, inlineBase: true });
    expect(inline).toContain('password: "pw-gateway"');
    expect(inline).toContain('ping_max');
    expect(() => natsAuthConfig(users, { passwords: { gateway: 'x' } })).toThrow(/no password for NATS user worker/);
  });

  it('denies everything rather than allowing all when a user may publish nothing', () => {
    expect(natsAuthConfig([{ user: 'quiet', description: 'nothing', publish: [], subscribe: ['a'], allowResponses: true }])).toContain('publish: { deny: [">"] }');
  });
});
