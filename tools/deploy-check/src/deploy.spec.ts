import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkEnvDrift } from './app-env.js';
import { checkCompose, parsePort } from './compose/compose.check.js';
import { interpolateString } from './compose/interpolate.js';
import { runDeployChecks } from './deploy-check.js';
import { checkDockerfile } from './dockerfile/dockerfile.check.js';
import { checkPatternGraphs, graphNeeds } from './patterns.js';
import { checkK8s, checkOverlay } from './k8s/k8s.check.js';
import { validateK8sObject, type K8sObject } from './k8s/k8s-validate.js';
import { KubectlMissingError, KustomizeError, kustomize } from './k8s/kubectl-kustomize.js';
import { knownModels } from './known-models.js';
import { CheckReport } from './report.js';
import { findRepoRoot } from './repo-root.js';
import { readYamlDocuments } from './yaml-load.js';

const root = findRepoRoot();
const read = (file: string): string => readFileSync(join(root, file), 'utf8');
const composeDocument = (): Record<string, unknown> =>
  readYamlDocuments(join(root, 'docker-compose.yml'), { merge: true })[0] as Record<string, unknown>;
const PATTERNS = [
  'all',
  'asynchronous',
  'batch',
  'circuit-break',
  'cluster',
  'condition-based',
  'data-cache',
  'microservice-horizontal',
  'microservice-vertical',
  'multi-model',
  'multi-stage',
  'online-ab',
  'prediction-cache',
  'prep-pred',
  'promotion',
  'shadow-ab',
  'synchronous',
  'training-to-serving',
  'web-single',
];
const STAGES = ['base', 'deps', 'workspace', 'build', 'trainer-build', 'trainer', 'runtime'];

/** Problems of the compose checks on a (changed) compose document. */
function composeProblems(document: unknown): string[] {
  const report = new CheckReport();
  checkCompose(document, { root, source: 'docker-compose.yml', dockerfileStages: STAGES }, report);
  return report.problemLines();
}

// Every overlay rendered once by `kubectl kustomize`; tests change clones of it.
const rendered = new Map<string, K8sObject[]>();
// 60 s: 18 `kubectl kustomize` processes at once took longer than vitest's 10 s default on two loaded cores.
beforeAll(async () => {
  const objects = await Promise.all(PATTERNS.map((pattern) => kustomize(join(root, 'k8s', 'overlays', pattern))));
  for (const [index, pattern] of PATTERNS.entries()) rendered.set(pattern, objects[index]!);
}, 60_000);

function overlay(pattern: string): K8sObject[] {
  const objects = rendered.get(pattern);
  if (!objects) throw new Error(`overlay ${pattern} was not rendered`);
  return objects;
}

function overlayProblems(pattern: string, objects: readonly K8sObject[]): string[] {
  const report = new CheckReport();
  checkOverlay(pattern, objects, pattern, report, { models: knownModels(root) });
  return report.problemLines();
}

function find(objects: readonly K8sObject[], kind: string, name: string): K8sObject {
  const object = objects.find((candidate) => candidate.kind === kind && candidate.metadata.name === name);
  if (!object) throw new Error(`no ${kind}/${name}`);
  return object;
}

// Typed access into a rendered Deployment for the negative cases.
interface Container {
  name: string;
  env?: { name: string; value?: string }[];
  readinessProbe?: Record<string, unknown>;
  ports?: { name?: string; containerPort: number }[];
  securityContext?: Record<string, unknown>;
}
function podOf(object: K8sObject): { metadata: { labels: Record<string, string> }; spec: { containers: Container[] } } {
  return (object['spec'] as { template: ReturnType<typeof podOf> }).template;
}

describe('the deploy artefacts of this repository', () => {
  it('pass every offline check', async () => {
    const { report, compose, k8s } = await runDeployChecks(root);
    expect(report.problemLines()).toEqual([]);
    // Plus the tooling profile beside them (no k8s overlay of its own).
    expect(compose?.profiles).toEqual([...PATTERNS, 'observability'].sort());
    expect([...(k8s?.overlays.keys() ?? [])]).toEqual(PATTERNS);
    expect(report.checked.length).toBeGreaterThan(8);
  });
});

describe('compose checks', () => {
  it('accepts the compose file', () => {
    expect(composeProblems(composeDocument())).toEqual([]);
  });

  it('rejects what the Compose schema does not allow', () => {
    const document = composeDocument();
    (document['services'] as Record<string, Record<string, unknown>>)['gateway']!['helthcheck'] = { test: ['CMD', 'true'] };
    expect(composeProblems(document).join('\n')).toMatch(/Compose schema: \/services\/gateway has unknown property "helthcheck"/);
  });

  it('rejects a dependency on a missing service, or one not enabled in the same profile', () => {
    const document = composeDocument();
    const services = document['services'] as Record<string, Record<string, unknown>>;
    services['gateway']!['depends_on'] = { natz: { condition: 'service_healthy' }, 'web-single': { condition: 'service_started' } };
    const problems = composeProblems(document).join('\n');
    expect(problems).toMatch(/services\.gateway: depends_on natz, which is not a service/);
    expect(problems).toMatch(/services\.gateway: depends_on web-single, which is not enabled in every profile/);
  });

  it('rejects an unknown model, an env name no app reads, and a port the app does not listen on', () => {
    const document = composeDocument();
    const services = document['services'] as Record<string, Record<string, Record<string, unknown>>>;
    services['predictor-iris-mlp']!['environment']!['MODEL_NAME'] = 'iris-xgboost';
    services['predictor-iris-mlp']!['environment']!['NATS_SERVERS'] = 'nats://nats:4222';
    (services['web-single'] as Record<string, unknown>)['ports'] = ['127.0.0.1:8081:9000'];
    const problems = composeProblems(document).join('\n');
    expect(problems).toMatch(/predictor-iris-mlp: MODEL_NAME iris-xgboost is not one of iris-mlp, iris-softmax/);
    expect(problems).toMatch(/predictor-iris-mlp: environment NATS_SERVERS is not read by the predictor/);
    expect(problems).toMatch(/profile synchronous: no predictor serves iris-mlp/);
    expect(problems).toMatch(/web-single: publishes container port 9000, but the predictor listens on 8081/);
  });

  it('reads a multi-model predictor\'s MODEL_NAMES: an unknown model in it, or a model left out of it', () => {
    const document = composeDocument();
    const services = document['services'] as Record<string, Record<string, Record<string, unknown>>>;
    services['predictor-iris']!['environment']!['MODEL_NAMES'] = 'iris-softmax,iris-xgboost';
    const problems = composeProblems(document).join('\n');
    expect(problems).toMatch(/predictor-iris: MODEL_NAMES iris-xgboost is not one of iris-mlp, iris-softmax/);
    expect(problems).toMatch(/profile multi-model: no predictor serves iris-mlp/);
    expect(problems).not.toMatch(/profile multi-model: no predictor serves iris-softmax/);
  });

  it('rejects a trainer built as a serving image and an unpinned third-party image', () => {
    const document = composeDocument();
    const services = document['services'] as Record<string, Record<string, unknown>>;
    services['trainer']!['build'] = { context: '.', args: { APP: 'trainer' } };
    services['redis']!['image'] = 'redis';
    const problems = composeProblems(document).join('\n');
    expect(problems).toMatch(/services\.trainer: the trainer is built with target: trainer/);
    expect(problems).toMatch(/services\.redis: image redis has no pinned tag/);
  });

  const dockerComposeV1 = (() => {
    try {
      execFileSync('docker-compose', ['version'], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  })();

  // docker-compose v1 (Debian package) parses and resolves a compose file without an engine.
  it.skipIf(!dockerComposeV1).each(PATTERNS)('is accepted by `docker-compose --profile %s config`', (profile) => {
    expect(() =>
      execFileSync('docker-compose', ['--file', join(root, 'docker-compose.yml'), '--profile', profile, 'config', '--quiet'], { stdio: 'pipe' }),
    ).not.toThrow();
  });

  it('interpolates variables and reads port mappings as Compose does', () => {
    expect(interpolateString('msp/gateway:${MSP_TAG:-dev}')).toBe('msp/gateway:dev');
    expect(interpolateString('msp/gateway:${MSP_TAG:-dev}', { MSP_TAG: '1.2' })).toBe('msp/gateway:1.2');
    expect(interpolateString('a$$b ${X-}c')).toBe('a$b c');
    expect(() => interpolateString('${X:?set X}')).toThrow(/X is not set/);
    expect(parsePort('127.0.0.1:8080:8080')).toEqual({ hostIp: '127.0.0.1', published: 8080, target: 8080 });
    expect(parsePort('8081:8081/tcp')).toEqual({ published: 8081, target: 8081 });
    expect(parsePort(9000)).toEqual({ target: 9000 });
    expect(parsePort('not-a-port')).toBeUndefined();
  });
});

describe('Kubernetes object validation (kubernetes-models)', () => {
  const deployment = (): K8sObject => structuredClone(find(overlay('synchronous'), 'Deployment', 'gateway'));

  it('accepts a rendered Deployment', async () => {
    expect(await validateK8sObject(deployment())).toEqual([]);
  });

  it('rejects a wrong type and a missing required field', async () => {
    const broken = deployment();
    podOf(broken).spec.containers[0]!.ports = [{ name: 'http', containerPort: '8080' as unknown as number }];
    expect((await validateK8sObject(broken)).join('\n')).toMatch(/containerPort must be integer/);
    const noSelector = deployment();
    delete (noSelector['spec'] as Record<string, unknown>)['selector'];
    expect((await validateK8sObject(noSelector)).join('\n')).toMatch(/spec must have required property selector/);
  });

  it('rejects unknown fields (typos) but not arbitrary label keys', async () => {
    const typo = deployment();
    const container = podOf(typo).spec.containers[0]! as Container & Record<string, unknown>;
    container['readinessprobe'] = container.readinessProbe;
    podOf(typo).metadata.labels['any.example/key'] = 'fine';
    expect(await validateK8sObject(typo)).toEqual([
      '/spec/template/spec/containers/0/readinessprobe: unknown field (not in the Deployment schema)',
    ]);
  });

  it('rejects an object kind it has no schema for', async () => {
    expect(await validateK8sObject({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } })).toEqual([
      'no kubernetes-models schema for example.com/v1 Widget',
    ]);
  });
});

describe('overlay consistency checks', () => {
  it('renders one predictor per model, each reading its model from its own label', () => {
    const objects = overlay('synchronous');
    const models = objects
      .filter((object) => object.kind === 'Deployment' && object.metadata.name.startsWith('predictor-'))
      .map((object) => podOf(object).metadata.labels['ml-serving-patterns/model']);
    expect(models.sort()).toEqual(['iris-mlp', 'iris-softmax', 'iris-trees', 'mnist-cnn', 'mnist-mlp']);
    const hpa = find(objects, 'HorizontalPodAutoscaler', 'predictor-mnist-cnn')['spec'] as Record<string, unknown>;
    expect(hpa['scaleTargetRef']).toMatchObject({ kind: 'Deployment', name: 'predictor-mnist-cnn' });
    expect(hpa['maxReplicas']).toBe(4);
  });

  it('rejects a Service whose selector matches no pod, and a probe on an undeclared port', () => {
    const objects = structuredClone(overlay('web-single'));
    (find(objects, 'Service', 'web-single')['spec'] as Record<string, unknown>)['selector'] = { 'app.kubernetes.io/name': 'predictr' };
    const container = podOf(find(objects, 'Deployment', 'predictor-iris-mlp')).spec.containers[0]!;
    container.readinessProbe = { httpGet: { path: '/v2/health/ready', port: 'web' } };
    const problems = overlayProblems('web-single', objects).join('\n');
    expect(problems).toMatch(/Service\/web-single: selector .* matches no pod template/);
    expect(problems).toMatch(/container predictor: readinessProbe port web is not a container port/);
    expect(problems).toMatch(/no Service in front of Deployment\/predictor-iris-mlp/);
  });

  it('rejects an unknown model label, an env name no app reads, and a writable root filesystem', () => {
    const objects = structuredClone(overlay('synchronous'));
    const pod = podOf(find(objects, 'Deployment', 'predictor-iris-trees'));
    pod.metadata.labels['ml-serving-patterns/model'] = 'iris-forest';
    pod.spec.containers[0]!.env!.push({ name: 'MODEL_DIR', value: '/models' });
    pod.spec.containers[0]!.securityContext!['readOnlyRootFilesystem'] = false;
    const problems = overlayProblems('synchronous', objects).join('\n');
    expect(problems).toMatch(/predictor-iris-trees container predictor: MODEL_NAME iris-forest is not one of/);
    expect(problems).toMatch(/predictor-iris-trees container predictor: env MODEL_DIR is not read by the predictor/);
    expect(problems).toMatch(/predictor-iris-trees container predictor: readOnlyRootFilesystem is not true/);
    expect(problems).toMatch(/synchronous: no predictor Deployment serves iris-trees/);
  });

  it('rejects a gateway whose HTTP port is not a container port', () => {
    const objects = structuredClone(overlay('synchronous'));
    const container = podOf(find(objects, 'Deployment', 'gateway')).spec.containers[0]!;
    container.env!.find((variable) => variable.name === 'PORT')!.value = '9090';
    expect(overlayProblems('synchronous', objects).join('\n')).toMatch(/gateway: listens on 9090 \(PORT\) but declares no such containerPort/);
  });
});

describe('the new patterns (asynchronous, batch, prep-pred, graphs)', () => {
  type Services = Record<string, Record<string, unknown> & { environment?: Record<string, string> }>;

  it('rejects one worker where two are needed, a batch job that restarts, and a URL host that is not a service', () => {
    const document = composeDocument();
    const services = document['services'] as Services;
    services['worker']!['deploy'] = { replicas: 1 };
    services['batch']!['restart'] = 'on-failure';
    services['batch']!['command'] = ['node', 'dist/batch-main.js', '--model', 'iris-xgb', '--input', '/data/in.csv'];
    services['worker']!.environment!['REDIS_URL'] = 'redis://elsewhere:6379';
    const problems = composeProblems(document).join('\n');
    expect(problems).toMatch(/profile asynchronous: 1 asynchronous worker\(s\), the pattern needs 2/);
    expect(problems).toMatch(/services\.batch: the batch job runs once: restart: "no"/);
    expect(problems).toMatch(/services\.batch: the batch job needs --output or BATCH_OUTPUT/);
    expect(problems).toMatch(/services\.batch: batch model iris-xgb is not one of/);
    expect(problems).toMatch(/profile batch: no batch job .* scores with iris-mlp/);
    expect(problems).toMatch(/services\.worker: REDIS_URL names host elsewhere, which is not a service/);
  });

  it('rejects a pattern without its preprocess service or redis, and a gateway without its graphs', () => {
    const document = composeDocument();
    const services = document['services'] as Services;
    delete services['preprocess'];
    services['redis']!['profiles'] = ['synchronous'];
    delete services['gateway']!.environment!['GRAPHS_DIR'];
    services['worker']!.environment!['BATCH_SIZE'] = '10';
    const problems = composeProblems(document).join('\n');
    expect(problems).toMatch(/profile prep-pred: no preprocess service/);
    expect(problems).toMatch(/profile multi-stage: no redis/);
    expect(problems).toMatch(/services\.gateway: depends_on redis, which is not enabled in every profile/);
    expect(problems).toMatch(/profile microservice-vertical: gateway serves graphs \(iris-checked\): GRAPHS_DIR must be \/app\/graphs/);
    expect(problems).toMatch(/services\.worker: environment BATCH_SIZE is not read by the worker/);
  });

  it('renders the batch CronJob from the worker image and preprocess with its own HPA', () => {
    const batch = overlay('batch');
    const cronJob = find(batch, 'CronJob', 'batch');
    expect(JSON.stringify(cronJob)).toContain('dist/batch-main.js');
    expect(find(batch, 'PersistentVolumeClaim', 'batch-data').metadata.labels).toMatchObject({ 'ml-serving-patterns/pattern': 'batch' });
    const hpa = find(overlay('prep-pred'), 'HorizontalPodAutoscaler', 'preprocess')['spec'] as Record<string, unknown>;
    expect(hpa['scaleTargetRef']).toMatchObject({ kind: 'Deployment', name: 'preprocess' });
    expect((find(overlay('asynchronous'), 'Deployment', 'worker')['spec'] as Record<string, unknown>)['replicas']).toBe(2);
  });

  it('rejects a batch job in a Deployment, a worker image in a Job, preprocess without HPA, and an unknown Service host', () => {
    const prep = structuredClone(overlay('prep-pred')).filter((object) => object.kind !== 'HorizontalPodAutoscaler' || object.metadata.name !== 'preprocess');
    const gateway = podOf(find(prep, 'Deployment', 'gateway')).spec.containers[0]!;
    gateway.env!.find((variable) => variable.name === 'REDIS_URL')!.value = 'redis://redis-master:6379';
    gateway.env!.find((variable) => variable.name === 'GRAPHS_DIR')!.value = 'graphs';
    const prepProblems = overlayProblems('prep-pred', prep).join('\n');
    expect(prepProblems).toMatch(/prep-pred: no HorizontalPodAutoscaler scales Deployment\/preprocess/);
    expect(prepProblems).toMatch(/gateway container gateway: REDIS_URL names host redis-master, which is no Service of the overlay/);
    expect(prepProblems).toMatch(/GRAPHS_DIR must be \/app\/graphs/);

    const async = structuredClone(overlay('asynchronous'));
    const worker = find(async, 'Deployment', 'worker');
    (worker['spec'] as Record<string, unknown>)['replicas'] = 1;
    const container = podOf(worker).spec.containers[0]! as Container & Record<string, unknown>;
    container['command'] = ['node', 'dist/batch-main.js', '--model', 'iris-mlp'];
    const asyncProblems = overlayProblems('asynchronous', async).join('\n');
    expect(asyncProblems).toMatch(/asynchronous: 1 asynchronous worker replica\(s\), the pattern needs 2/);
    expect(asyncProblems).toMatch(/Deployment\/worker container worker: the batch job \(dist\/batch-main\.js\) runs as a Job or CronJob, not a Deployment/);

    const batch = structuredClone(overlay('batch'));
    const jobPod = ((find(batch, 'CronJob', 'batch')['spec'] as { jobTemplate: { spec: { template: ReturnType<typeof podOf> } } }).jobTemplate.spec.template);
    const batchContainer = jobPod.spec.containers[0]! as Container & Record<string, unknown>;
    batchContainer['command'] = ['node', 'dist/main.js'];
    const batchProblems = overlayProblems('batch', batch).join('\n');
    expect(batchProblems).toMatch(/CronJob\/batch container batch: a serving image in a CronJob/);
    expect(batchProblems).toMatch(/batch: no CronJob runs the batch job \(dist\/batch-main\.js\) with iris-mlp/);
  });

  it('reads what a graph needs, and rejects a pattern that does not deploy it', () => {
    expect(graphNeeds(root, 'mnist-image')).toEqual({ models: ['mnist-cnn'], preprocess: true });
    expect(graphNeeds(root, 'iris-ensemble').models).toEqual(['iris-mlp', 'iris-softmax', 'iris-trees']);
    const report = new CheckReport();
    checkPatternGraphs(root, report, {
      'prep-pred': { models: ['mnist-mlp'], graphs: ['mnist-image'] },
      vertical: { models: ['iris-mlp'], graphs: ['iris-checkd'] },
    });
    const problems = report.problemLines().join('\n');
    expect(problems).toMatch(/prep-pred: graph mnist-image uses mnist-cnn, which the pattern does not deploy/);
    expect(problems).toMatch(/prep-pred: graph mnist-image has a preprocess step, but the pattern has no preprocess service/);
    expect(problems).toMatch(/vertical: graphs\/iris-checkd\.yaml does not exist/);
  });
});

describe('rendering with kubectl kustomize', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });
  function tree(files: Record<string, string>): string {
    const dir = mkdtempSync(join(tmpdir(), 'deploy-check-'));
    dirs.push(dir);
    for (const [file, text] of Object.entries(files)) {
      mkdirSync(join(dir, file, '..'), { recursive: true });
      writeFileSync(join(dir, file), text);
    }
    return dir;
  }

  it('renders an overlay as kubectl apply -k would send it: names suffixed, labels on selectors', () => {
    const deployment = find(overlay('synchronous'), 'Deployment', 'predictor-iris-mlp');
    expect((deployment['spec'] as { selector: { matchLabels: Record<string, string> } }).selector.matchLabels).toMatchObject({
      'ml-serving-patterns/model': 'iris-mlp',
    });
  });

  it("fails with kubectl's own message on a missing resource and an unknown kustomization field", async () => {
    await expect(kustomize(tree({ 'kustomization.yaml': 'resources:\n  - missing.yaml\n' }))).rejects.toThrow(KustomizeError);
    await expect(kustomize(tree({ 'kustomization.yaml': 'resourcez:\n  - missing.yaml\n' }))).rejects.toThrow(/resourcez/);
  });

  it('rejects a patch whose target matches nothing, which kubectl applies as a no-op', async () => {
    const configMap = 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\n  labels:\n    app.kubernetes.io/name: demo\n    app.kubernetes.io/part-of: demo\ndata:\n  a: "1"\n';
    const patch = (name: string): string =>
      `resources:\n  - settings.yaml\npatches:\n  - target:\n      kind: ConfigMap\n      name: ${name}\n    patch: |-\n      - op: replace\n        path: /data/a\n        value: "2"\n`;
    for (const [name, problem] of [['settings', undefined], ['setings', /patch target .*"name":"setings".* matches no object it renders/]] as const) {
      const root = tree({ 'k8s/overlays/demo/kustomization.yaml': patch(name), 'k8s/overlays/demo/settings.yaml': configMap });
      const report = new CheckReport();
      await checkK8s(root, report);
      if (problem) expect(report.problemLines().join('\n')).toMatch(problem);
      else expect(report.problemLines()).toEqual([]);
    }
  });

  it('fails, naming how to install kubectl, when kubectl is missing — it never skips the k8s checks', async () => {
    const kubectl = join(tmpdir(), 'no-such-kubectl');
    await expect(kustomize(join(root, 'k8s', 'overlays', 'synchronous'), { kubectl })).rejects.toThrow(KubectlMissingError);
    const report = new CheckReport();
    const summary = await checkK8s(root, report, { kubectl });
    expect(report.problemLines().join('\n')).toMatch(/no-such-kubectl not found: install kubectl \(Debian\/Ubuntu: `apt-get install kubectl`/);
    expect(summary.overlays.size).toBe(0);
  });
});

describe('env names against the apps', () => {
  it('names what an app config no longer mentions, and nothing when there is no config to compare', () => {
    const dir = mkdtempSync(join(tmpdir(), 'deploy-check-env-'));
    try {
      mkdirSync(join(dir, 'apps', 'gateway', 'src', 'config'), { recursive: true });
      writeFileSync(join(dir, 'apps', 'gateway', 'src', 'config', 'gateway-config.schema.ts'), 'z.object({ PORT: port, NATS_URL: url })');
      expect(checkEnvDrift(dir, 'gateway', ['PORT', 'NATS_URL', 'HOST', 'NODE_OPTIONS'])).toEqual(['HOST']);
      expect(checkEnvDrift(dir, 'predictor', ['MODEL_NAME'])).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Dockerfile checks', () => {
  const dockerfile = read('Dockerfile');
  const problems = (text: string): string[] => {
    const report = new CheckReport();
    checkDockerfile(text, 'Dockerfile', report);
    return report.problemLines();
  };

  it('accepts the Dockerfile', () => {
    expect(problems(dockerfile)).toEqual([]);
  });

  it('rejects a root final stage, a missing ARG APP and trainer code in a serving stage', () => {
    const lastUser = dockerfile.lastIndexOf('USER 1000:1000');
    const asRoot = `${dockerfile.slice(0, lastUser)}USER root${dockerfile.slice(lastUser + 'USER 1000:1000'.length)}`;
    expect(problems(asRoot).join('\n')).toMatch(/stage runtime: USER root is root/);
    const noApp = dockerfile.replace(/^ARG APP=gateway$/gm, '');
    expect(problems(noApp).join('\n')).toMatch(/no ARG APP/);
    const trainerInServing = dockerfile.replace('COPY --from=build /out/ ./', 'COPY --from=build /out/ ./\nCOPY --from=trainer-build /repo/apps/trainer/dist ./trainer');
    expect(problems(trainerInServing).join('\n')).toMatch(/a serving stage touches trainer code/);
    const noTrainer = dockerfile.replace('AS trainer\n', 'AS trainer-image\n');
    expect(problems(noTrainer).join('\n')).toMatch(/no `trainer` stage/);
    const noGraphs = dockerfile.replace(/cp -r graphs \/out\/graphs/, 'true');
    expect(problems(noGraphs).join('\n')).toMatch(/the gateway image does not carry graphs/);
    const noWorkerStage = dockerfile.replace('AS app-worker\n', 'AS app-workers\n');
    expect(problems(noWorkerStage).join('\n')).toMatch(/no stage app-worker for the serving app worker/);
  });
});
