import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { findRepoRoot, kustomize } from '@msp/deploy-check';
import { softmaxClassifierOnnx } from '@msp/model-runtime/testing';
import { parseNewPredictorArgs, UsageError, type NewPredictorOptions } from './cli-args.parser.js';
import { applyNewPredictor, NewPredictorError, planNewPredictor } from './new-predictor.service.js';

const repo = findRepoRoot();
const temporary: string[] = [];
afterAll(() => {
  for (const dir of temporary) rmSync(dir, { recursive: true, force: true });
});

/** A copy of what deploy-check reads (deploy files, graphs, docs, each app's package and config). */
function repoCopy(): string {
  const root = mkdtempSync(join(tmpdir(), 'serving-template-'));
  temporary.push(root);
  for (const path of ['k8s', 'graphs', 'observability', 'docker-compose.yml', 'Dockerfile', '.dockerignore', 'docs/deploy.md', 'tools/docker/nats']) {
    cpSync(join(repo, path), join(root, path), { recursive: true });
  }
  for (const app of readdirSync(join(repo, 'apps'))) {
    cpSync(join(repo, 'apps', app, 'package.json'), join(root, 'apps', app, 'package.json'));
    const config = join(repo, 'apps', app, 'src', 'config');
    if (existsSync(config)) cpSync(config, join(root, 'apps', app, 'src', 'config'), { recursive: true });
  }
  return root;
}

/** A real ONNX classifier (3 features → 2 classes) that onnxruntime loads. */
function onnxFile(root: string, bytes: Uint8Array = softmaxClassifierOnnx([[1, 0], [0, 1], [1, 1]], [0, 0])): string {
  const file = join(root, 'incoming.onnx');
  writeFileSync(file, bytes);
  return file;
}

function options(root: string, args: string[]): NewPredictorOptions {
  return parseNewPredictorArgs(['--root', root, ...args]);
}

describe('pnpm new:predictor', () => {
  it('generates a model, its k8s base, overlay line and Compose service that pass deploy-check and render with kubectl', async () => {
    const root = repoCopy();
    const model = onnxFile(root);
    const plan = await planNewPredictor(root, options(root, ['--name', 'churn-clf', '--model', model, '--labels', 'stays,leaves', '--owner', 'ml-team']));
    expect(plan.files.map((file) => [file.path, file.previous ? 'update' : 'create'])).toEqual([
      ['models/churn-clf/model.onnx', 'create'],
      ['models/churn-clf/manifest.json', 'create'],
      ['k8s/base/predictors/churn-clf/kustomization.yaml', 'create'],
      ['k8s/overlays/synchronous/kustomization.yaml', 'update'],
      ['docker-compose.yml', 'update'],
      ['k8s/base/nats/nats.yaml', 'update'],
      ['tools/docker/nats/nats-auth.conf', 'update'],
      ['k8s/base/nats/nats-auth.conf', 'update'],
      ['tools/docker/nats/secrets.env.example', 'update'],
    ]);
    expect(plan.manifest).toMatchObject({
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 3] }],
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 2] }],
      labels: ['stays', 'leaves'],
      onnx: { file: 'model.onnx', opset: 17 },
      training: { imported: 'incoming.onnx', owner: 'ml-team' },
    });

    const checked = await applyNewPredictor(root, plan);
    expect(checked.join('\n')).toMatch(/k8s\/overlays\/synchronous: .*Deployment\/predictor-churn-clf/);

    const objects = await kustomize(join(root, 'k8s', 'overlays', 'synchronous'));
    const deployment = objects.find((object) => object.kind === 'Deployment' && object.metadata.name === 'predictor-churn-clf');
    expect(deployment?.metadata['labels']).toMatchObject({ 'ml-serving-patterns/model': 'churn-clf', 'ml-serving-patterns/pattern': 'synchronous' });
    const compose = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
    expect(compose).toContain('  predictor-churn-clf:\n');
    // Only the new service and its NATS password for the servers were added; every other byte
    // (comments, anchors) is as it was.
    const password = '  MSP_NATS_PASSWORD_PREDICTOR_CHURN_CLF: ${MSP_NATS_PASSWORD_PREDICTOR_CHURN_CLF:-}\n';
    expect(compose).toContain(password);
    expect(compose.replace(/\n {2}predictor-churn-clf:\n[\s\S]*?NATS_PASSWORD: .*\n/, '').replace(password, '')).toBe(
      readFileSync(join(repo, 'docker-compose.yml'), 'utf8'),
    );
    expect(compose).toMatch(/MODEL_NAME: churn-clf\n {6}NATS_USER: predictor-churn-clf\n {6}NATS_PASSWORD: \$\{MSP_NATS_PASSWORD_PREDICTOR_CHURN_CLF:-\}\n/);

    // With users on it can log in and serve only its own model: a user of its own in the rendered
    // config, its password passed to NATS in compose and k8s, and the pod reading it from the Secret.
    const auth = readFileSync(join(root, 'tools/docker/nats/nats-auth.conf'), 'utf8');
    expect(auth).toMatch(/user: "predictor-churn-clf"\n\s+password: \$MSP_NATS_PASSWORD_PREDICTOR_CHURN_CLF\n[\s\S]*?"msp\.infer\.churn-clf msp\.predictor\.churn-clf"/);
    expect(readFileSync(join(root, 'k8s/base/nats/nats-auth.conf'), 'utf8')).toBe(auth);
    const envOf = (object: unknown): unknown[] =>
      (object as { spec: { template: { spec: { containers: { env: unknown[] }[] } } } }).spec.template.spec.containers[0]!.env;
    const fromSecret = { valueFrom: { secretKeyRef: expect.objectContaining({ name: 'msp-nats', key: 'predictor-churn-clf' }) } };
    const nats = objects.find((object) => object.kind === 'StatefulSet' && object.metadata.name === 'nats');
    expect(envOf(nats)).toContainEqual(expect.objectContaining({ name: 'MSP_NATS_PASSWORD_PREDICTOR_CHURN_CLF', ...fromSecret }));
    expect(envOf(deployment)).toContainEqual(expect.objectContaining({ name: 'NATS_PASSWORD', ...fromSecret }));
    expect(envOf(deployment)).toContainEqual({ name: 'NATS_USER', value: 'predictor-$(MODEL_NAME)' });

    // The same name again: refused, then replaced with --force (the service is not duplicated).
    await expect(planNewPredictor(root, options(root, ['--name', 'churn-clf', '--model', model]))).rejects.toThrow(/exists .*pass --force/);
    const again = await planNewPredictor(root, options(root, ['--name', 'churn-clf', '--model', model, '--labels', 'stays,leaves', '--version', '2', '--force']));
    expect(again.files.map((file) => file.path)).toEqual(['models/churn-clf/manifest.json']);
    await applyNewPredictor(root, again);
    expect(readFileSync(join(root, 'docker-compose.yml'), 'utf8')).toBe(compose);
  }, 60_000);

  it('derives labels 0..k-1 when none are given, and --dry-run (a plan) writes nothing', async () => {
    const root = repoCopy();
    const before = readFileSync(join(root, 'docker-compose.yml'), 'utf8');
    const plan = await planNewPredictor(root, options(root, ['--name', 'two-way', '--model', onnxFile(root), '--pattern', 'web-single', '--dry-run']));
    expect(plan.manifest.labels).toEqual(['0', '1']);
    expect(plan.files.find((file) => file.path === 'docker-compose.yml')?.content).toMatch(/profiles:\n {6}- all\n {6}- web-single\n/);
    expect(existsSync(join(root, 'models', 'two-way'))).toBe(false);
    expect(readFileSync(join(root, 'docker-compose.yml'), 'utf8')).toBe(before);
  });

  it('refuses an unknown file, a file onnxruntime cannot load, a bad name, a trainer model and an unknown pattern', async () => {
    const root = repoCopy();
    await expect(planNewPredictor(root, options(root, ['--name', 'x1', '--model', join(root, 'nope.onnx')]))).rejects.toThrow(/nope\.onnx: no such file/);
    const garbage = onnxFile(root, new TextEncoder().encode('not a model'));
    await expect(planNewPredictor(root, options(root, ['--name', 'x1', '--model', garbage]))).rejects.toThrow(/cannot be loaded by onnxruntime/);
    expect(() => parseNewPredictorArgs(['--name', 'Bad_Name', '--model', garbage])).toThrow(UsageError);
    expect(() => parseNewPredictorArgs(['--name', 'x1'])).toThrow(/--name and --model are required/);
    await expect(planNewPredictor(root, options(root, ['--name', 'iris-mlp', '--model', garbage, '--force']))).rejects.toThrow(/trainer's models/);
    await expect(planNewPredictor(root, options(root, ['--name', 'x1', '--model', onnxFile(root), '--pattern', 'nowhere']))).rejects.toThrow(
      /k8s\/overlays\/nowhere\/kustomization\.yaml does not exist/,
    );
    await expect(planNewPredictor(root, options(root, ['--name', 'x1', '--model', onnxFile(root), '--labels', 'a,b,c']))).rejects.toThrow(
      /3 labels, but output 'probabilities' has 2 classes/,
    );
  });

  it('puts every file back when the result fails deploy-check', async () => {
    const root = repoCopy();
    const plan = await planNewPredictor(root, options(root, ['--name', 'broken', '--model', onnxFile(root)]));
    const overlay = readFileSync(join(root, 'k8s/overlays/synchronous/kustomization.yaml'), 'utf8');
    mkdirSync(join(root, 'k8s', 'stray'));
    writeFileSync(join(root, 'k8s', 'stray', 'orphan.yaml'), 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: orphan\n');
    await expect(applyNewPredictor(root, plan)).rejects.toThrow(NewPredictorError);
    expect(existsSync(join(root, 'models', 'broken'))).toBe(false);
    expect(existsSync(join(root, 'k8s', 'base', 'predictors', 'broken'))).toBe(false);
    expect(readFileSync(join(root, 'k8s/overlays/synchronous/kustomization.yaml'), 'utf8')).toBe(overlay);
    expect(readFileSync(join(root, 'docker-compose.yml'), 'utf8')).not.toContain('predictor-broken');
  }, 60_000);
});
