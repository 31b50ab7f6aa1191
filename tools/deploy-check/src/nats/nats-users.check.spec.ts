import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MODEL_NAMES, natsUsers } from '@msp/contracts';
import type { K8sObject } from '../k8s/k8s-validate.js';
import { kustomize } from '../k8s/kubectl-kustomize.js';
import { CheckReport } from '../report.js';
import { findRepoRoot } from '../repo-root.js';
import { readYamlDocuments } from '../yaml-load.js';
import { natsConfigFiles } from './nats-config.js';
import { natsPermissionSettings } from './nats-settings.js';
import { checkComposeNatsUsers, checkNatsSecretsExample, checkOverlayNatsUsers } from './nats-users.check.js';

const root = findRepoRoot();
const users = natsUsers(natsPermissionSettings(root));
const temporary: string[] = [];
afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

type Service = Record<string, unknown> & { environment: Record<string, unknown> };
const composeDocument = (): { services: Record<string, Service> } =>
  structuredClone(readYamlDocuments(join(root, 'docker-compose.yml'), { merge: true })[0]) as { services: Record<string, Service> };

function composeProblems(document: unknown): string[] {
  const report = new CheckReport();
  checkComposeNatsUsers(document, users, 'docker-compose.yml', report);
  return report.problemLines();
}

describe('NATS users in the compose file', () => {
  it('passes every password to every NATS server, the cluster nodes included, and every service connects as its own user', () => {
    expect(composeProblems(composeDocument())).toEqual([]);
  });

  it('rejects a NATS server that cannot switch users on or misses a password, and services without their own user', () => {
    const document = composeDocument();
    document.services['nats-2']!['command'] = ['nats-server', '-c', '/etc/nats/nats.conf'];
    // The NATS servers share one environment block (an alias): give nats-3 a copy of its own.
    const { MSP_NATS_PASSWORD_PREDICTOR_MNIST: _left, ...rest } = document.services['nats-3']!.environment;
    document.services['nats-3']!.environment = rest;
    delete document.services['worker']!.environment['NATS_USER'];
    document.services['cache']!.environment['NATS_PASSWORD'] = '${MSP_NATS_PASSWORD_GATEWAY:-}';
    document.services['predictor-iris-trees']!.environment['NATS_USER'] = 'predictor-iris-mlp';
    document.services['predictor-iris-trees']!.environment['NATS_PASSWORD'] = '${MSP_NATS_PASSWORD_PREDICTOR_IRIS_MLP:-}';
    expect(composeProblems(document)).toEqual([
      'docker-compose.yml services.predictor-iris-trees: NATS user predictor-iris-mlp may not serve iris-trees (msp.infer.iris-trees)',
      'docker-compose.yml services.worker: connects to NATS without NATS_USER',
      'docker-compose.yml services.cache: NATS_PASSWORD is not ${MSP_NATS_PASSWORD_CACHE:-} (the password of cache)',
      'docker-compose.yml services.nats-2: a NATS server that cannot run with users: its command does not choose the config by MSP_NATS_CONFIG',
      'docker-compose.yml services.nats-3: passes no MSP_NATS_PASSWORD_PREDICTOR_MNIST (as ${VAR:-}): with nats-auth.conf it would not start',
    ]);
  });
});

describe('NATS users in the k8s overlays', () => {
  const rendered = new Map<string, K8sObject[]>();
  beforeAll(async () => {
    for (const pattern of ['cluster', 'multi-model']) rendered.set(pattern, await kustomize(join(root, 'k8s', 'overlays', pattern)));
  }, 60_000);

  const problems = (objects: readonly K8sObject[]): string[] => {
    const report = new CheckReport();
    checkOverlayNatsUsers(objects, users, 'overlay', report);
    return report.problemLines();
  };
  const containerOf = (objects: K8sObject[], kind: string, name: string): { env: Record<string, unknown>[] } =>
    (objects.find((object) => object.kind === kind && object.metadata.name === name)!['spec'] as { template: { spec: { containers: { env: Record<string, unknown>[] }[] } } })
      .template.spec.containers[0]!;

  it('keeps the users on the three-node cluster (the StatefulSet still reads every password) and the multi-model group users', () => {
    expect(problems(rendered.get('cluster')!)).toEqual([]);
    expect(problems(rendered.get('multi-model')!)).toEqual([]);
    const env = containerOf(rendered.get('cluster')!, 'StatefulSet', 'nats').env.map((variable) => variable['name']);
    expect(env).toContain('POD_NAME');
    expect(env).toContain('MSP_NATS_PASSWORD_ADMIN');
  });

  it('rejects a NATS server whose env lost the passwords (a patch that replaces the list), and a predictor on another model’s user', () => {
    const objects = structuredClone(rendered.get('cluster')!);
    const nats = containerOf(objects, 'StatefulSet', 'nats');
    nats.env = nats.env.filter((variable) => variable['name'] === 'POD_NAME');
    const predictor = containerOf(objects, 'Deployment', 'predictor-iris-softmax');
    predictor.env = predictor.env.map((variable) => (variable['name'] === 'NATS_USER' ? { name: 'NATS_USER', value: 'predictor-iris-mlp' } : variable));
    const found = problems(objects);
    expect(found).toHaveLength(3);
    expect(found.find((line) => line.startsWith('overlay StatefulSet/nats'))).toMatch(
      /^overlay StatefulSet\/nats container nats: does not read MSP_NATS_PASSWORD_GATEWAY, .* from the Secret msp-nats: with users on it would not start$/,
    );
    expect(found).toEqual(
      expect.arrayContaining([
        'overlay Deployment/predictor-iris-softmax container predictor: NATS_PASSWORD is not the key predictor-iris-mlp of the Secret msp-nats',
        'overlay Deployment/predictor-iris-softmax container predictor: NATS user predictor-iris-mlp may not serve iris-softmax (msp.infer.iris-softmax)',
      ]),
    );
  });
});

describe('what the users are rendered for', () => {
  function tree(): string {
    const dir = mkdtempSync(join(tmpdir(), 'deploy-check-nats-'));
    temporary.push(dir);
    for (const path of ['docker-compose.yml', 'k8s', 'tools/docker/nats']) cpSync(join(root, path), join(dir, path), { recursive: true });
    return dir;
  }

  it('follows the predictor bases and the jobs namespaces the deploy files set', () => {
    const dir = tree();
    expect(natsPermissionSettings(dir)).toEqual({ models: [...MODEL_NAMES], jobsNamespaces: ['msp'] });
    mkdirSync(join(dir, 'k8s/base/predictors/churn-clf'));
    writeFileSync(
      join(dir, 'docker-compose.yml'),
      readFileSync(join(dir, 'docker-compose.yml'), 'utf8').replace('      NATS_USER: worker\n', '      NATS_USER: worker\n      JOBS_NAMESPACE: ${JOBS_NAMESPACE:-team-a}\n'),
    );
    writeFileSync(join(dir, 'k8s/base/worker/extra.yaml'), '- name: JOBS_NAMESPACE\n  value: team-k\n');
    expect(natsPermissionSettings(dir)).toEqual({ models: [...MODEL_NAMES, 'churn-clf'], jobsNamespaces: ['msp', 'team-a', 'team-k'] });
    // The committed config no longer matches: deploy-check says to run `pnpm nats:config`.
    const auth = natsConfigFiles(dir)['tools/docker/nats/nats-auth.conf']!;
    expect(auth).toContain('"$JS.API.STREAM.INFO.TEAM_A_JOBS"');
    expect(auth).toContain('"team-k.jobs.infer.>"');
    expect(auth).toContain('user: "predictor-churn-clf"');
  });

  it('rejects an example env file that leaves out a user', () => {
    const report = new CheckReport();
    checkNatsSecretsExample(root, users, report);
    expect(report.problemLines()).toEqual([]);
    const dir = tree();
    writeFileSync(join(dir, 'tools/docker/nats/secrets.env.example'), 'MSP_NATS_CONFIG=nats-auth.conf\nMSP_NATS_PASSWORD_GATEWAY=\n');
    const partial = new CheckReport();
    checkNatsSecretsExample(dir, users, partial);
    expect(partial.problemLines()[0]).toMatch(/names no MSP_NATS_PASSWORD_WORKER, .*MSP_NATS_PASSWORD_PREDICTOR_MNIST: a copy of it would not start NATS with users/);
  });
});
