import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appEntry, repoRoot } from '@msp/topology';
import { http, postJson } from './support/http.js';
import { closedLoop } from './support/load.js';
import { PrivateServices } from './support/private-services.js';
import type { ServiceProcess } from '@msp/topology';
import { target } from './support/target.js';

/**
 * training-to-serving, the whole loop while a load generator runs: v1 serving → `pnpm train
 * --model` makes v2 → the gate passes → v2 released, swapped in by the model-load predictor and
 * discovered by the gateway → traffic moves to v2 with 0 failed requests → v1 retired. Then a
 * deliberately bad model (shuffled labels): the gate refuses it, the registry records why, v2
 * still serves. The model is registered under a name of its own (`--as`), so the shared
 * topology's iris-mlp is never touched.
 */
const { local, natsUrl } = target();
const MODEL = `e2e-release-${process.pid}`;
const row = { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [6.7, 3.0, 5.2, 2.3] }] };

interface Run {
  code: number;
  stdout: string;
}

/** `pnpm train --model iris-mlp --as <MODEL> …` as a user runs it. */
function train(...extra: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [appEntry('trainer'), '--model', 'iris-mlp', '--as', MODEL, ...extra],
      { env: { ...process.env, NATS_URL: natsUrl, MSP_OWNER: 'e2e' }, timeout: 120_000 },
      (error, stdout) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout }),
    );
  });
}

function models(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [join(repoRoot(), 'tools', 'models-cli', 'dist', 'main.js'), ...args],
      { env: { ...process.env, NATS_URL: natsUrl }, timeout: 30_000 },
      (error, stdout) => resolve({ code: error ? Number(error.code ?? 1) : 0, stdout }),
    );
  });
}

function versionOf(body: string): string | undefined {
  try {
    return (JSON.parse(body) as { model_version?: string }).model_version;
  } catch {
    return undefined;
  }
}

describe.runIf(local)('training-to-serving: train → gate → register → release → discover → swap → retire', () => {
  const services = new PrivateServices();
  let gateway: string;
  let canary: ServiceProcess | undefined;

  beforeAll(async () => {
    const first = await train();
    expect(first.stdout).toContain(`registered as ${MODEL} v1, serving`);
    await services.registryPredictor(MODEL);
    gateway = await services.gateway({}, [MODEL]);
  });

  afterAll(async () => {
    await services.stop();
  });

  it('releases v2 under load: 0 failed requests, traffic moves to v2, v1 retired and no longer routed', async () => {
    let trained: Promise<Run> | undefined;
    let releasedAtMs = Number.POSITIVE_INFINITY;
    const loadStarted = performance.now();
    const release = async (): Promise<Run> => {
      const run = await train();
      releasedAtMs = performance.now() - loadStarted;
      return run;
    };
    const samples = await closedLoop({
      url: `${gateway}/v2/models/${MODEL}/infer`,
      body: row,
      clients: 8,
      durationMs: 12_000,
      inspect: versionOf,
      during: { atMs: 2_000, action: () => void (trained = release()) },
    });
    const released = await trained!;
    expect(released.code).toBe(0);
    expect(released.stdout).toMatch(new RegExp(`registered as ${MODEL} v2, serving: .*not worse than serving v1's`));

    const failed = samples.filter((sample) => sample.status !== 200);
    expect(failed).toEqual([]);
    expect(samples.every((sample) => sample.note === '1' || sample.note === '2')).toBe(true);
    // Once released, the predictor swaps in place (fetch, check, warm up): 2 s of slack here.
    const afterSwap = samples.filter((sample) => sample.at > releasedAtMs + 2_000);
    expect(afterSwap.length).toBeGreaterThan(0);
    expect(afterSwap.filter((sample) => sample.note !== '2')).toEqual([]);
    expect(samples.some((sample) => sample.note === '1')).toBe(true);

    const listed = await models('list', MODEL);
    expect(listed.stdout).toMatch(new RegExp(`${MODEL}\\s+1\\s+retired.*replaced by v2`));
    expect(listed.stdout).toMatch(new RegExp(`${MODEL}\\s+2\\s+serving`));
    // The gateway forgets the version nobody serves any more: pinned requests to it get 404.
    await expect
      .poll(async () => (await postJson(`${gateway}/v2/models/${MODEL}/versions/1/infer`, row)).status, { timeout: 10_000 })
      .toBe(404);
    const metadata = await http<{ versions?: string[] }>(`${gateway}/v2/models/${MODEL}`);
    expect(metadata.body.versions).toEqual(['2']);
  });

  it('refuses a deliberately bad model: the registry records why, v2 keeps serving', async () => {
    const bad = await train('--shuffle-labels');
    expect(bad.code).toBe(1);
    expect(bad.stdout).toMatch(new RegExp(`REFUSED, registered as ${MODEL} v3 rejected: cross-validated accuracy 0\\.\\d{4} \\(5-fold on 120 training rows\\) is below the gate 0\\.93`));
    const shown = await models('show', MODEL, '3');
    expect(shown.stdout).toContain('"status": "rejected"');
    expect(shown.stdout).toMatch(/"reason": "cross-validated accuracy 0\.\d{4} \(5-fold on 120 training rows\) is below the gate 0\.93"/);
    const answer = await postJson<{ model_version?: string }>(`${gateway}/v2/models/${MODEL}/infer`, row);
    expect(answer).toMatchObject({ status: 200, body: { model_version: '2' } });
  });

  it('lists every version with its registry status and replica count at GET /v1/models', async () => {
    const listing = await http<{ registry: string; models: { name: string; serving?: string; versions: unknown[] }[] }>(`${gateway}/v1/models`);
    expect(listing.status).toBe(200);
    expect(listing.body.registry).toBe('ok');
    const mine = listing.body.models.find((model) => model.name === MODEL);
    expect(mine).toMatchObject({
      serving: '2',
      versions: [
        { version: '3', status: 'rejected', replicas: 0, reason: expect.stringMatching(/below the gate/) },
        { version: '2', status: 'serving', replicas: 1 },
        { version: '1', status: 'retired', replicas: 0, reason: 'replaced by v2' },
      ],
    });
    // The shared topology's predictors serve files (model-in-image): listed with replicas too.
    expect(listing.body.models.map((model) => model.name)).toContain('iris-mlp');
  });

  it('routes per model: a weighted canary split, a pinned version, back to latest; an unknown version is a 404', async () => {
    const candidate = await train('--no-release');
    expect(candidate.stdout).toContain(`registered as ${MODEL} v4, candidate`);
    canary = await services.registryPredictor(MODEL, { MODEL_VERSION: '4' });
    await expect.poll(async () => (await http(`${gateway}/v2/models/${MODEL}/versions/4/ready`)).status, { timeout: 10_000 }).toBe(200);
    const versions = async (count: number): Promise<Record<string, number>> => {
      const seen: Record<string, number> = {};
      for (let i = 0; i < count; i += 1) {
        const answer = await postJson<{ model_version?: string }>(`${gateway}/v2/models/${MODEL}/infer`, row);
        expect(answer.status).toBe(200);
        const version = answer.body.model_version ?? '?';
        seen[version] = (seen[version] ?? 0) + 1;
      }
      return seen;
    };
    // The canary predictor takes no traffic until a policy sends it some.
    expect(await versions(40)).toEqual({ '2': 40 });

    expect((await models('route', MODEL, 'split', '2=50,4=50')).stdout).toContain('weighted: v2 50%, v4 50%');
    await expect.poll(async () => Object.keys(await versions(20)).sort(), { timeout: 10_000 }).toEqual(['2', '4']);
    const split = await versions(200);
    expect(split['4']).toBeGreaterThan(60);
    expect(split['2']).toBeGreaterThan(60);

    await models('route', MODEL, 'pin', '4');
    await expect.poll(async () => await versions(20), { timeout: 10_000 }).toEqual({ '4': 20 });
    await models('route', MODEL, 'latest');
    await expect.poll(async () => await versions(20), { timeout: 10_000 }).toEqual({ '2': 20 });

    const unknown = await postJson<{ error?: string }>(`${gateway}/v2/models/${MODEL}/versions/9/infer`, row);
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toMatch(/has no version '9'/);
  });

  it('retires the canary under a 50/50 split: its traffic stops at once, it drains and exits, no request fails', async () => {
    await models('route', MODEL, 'split', '2=50,4=50');
    await expect.poll(async () => (await postJson<{ model_version?: string }>(`${gateway}/v2/models/${MODEL}/infer`, row)).body.model_version, { timeout: 10_000 }).toBe('4');
    let retired: Promise<Run> | undefined;
    let retiredAtMs = Number.POSITIVE_INFINITY;
    const loadStarted = performance.now();
    const retire = async (): Promise<Run> => {
      const run = await models('retire', MODEL, '4', '--reason', 'canary done');
      retiredAtMs = performance.now() - loadStarted;
      return run;
    };
    const samples = await closedLoop({
      url: `${gateway}/v2/models/${MODEL}/infer`,
      body: row,
      clients: 4,
      durationMs: 8_000,
      inspect: versionOf,
      during: { atMs: 1_500, action: () => void (retired = retire()) },
    });
    expect((await retired!).code).toBe(0);
    expect(samples.filter((sample) => sample.status !== 200)).toEqual([]);
    expect(samples.some((sample) => sample.note === '4')).toBe(true);
    // Soon after the registry records the retirement, only v2 answers: the gateways watch the
    // records (1 s of slack for the watch to arrive on this busy machine).
    const after = samples.filter((sample) => sample.at > retiredAtMs + 1_000);
    expect(after.length).toBeGreaterThan(0);
    expect(after.filter((sample) => sample.note !== '2')).toEqual([]);
    const exit = await canary!.exited;
    expect(exit.code).toBe(0);
  });
});
