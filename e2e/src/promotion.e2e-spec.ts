import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { http, postJson } from './support/http.js';
import { closedLoop, type Sample } from './support/load.js';
import { PrivateServices } from './support/private-services.js';
import { target } from './support/target.js';

/**
 * Metric-gated promotion as an operator sees it: three rollouts declared beside their AB
 * experiments, each started through POST /v1/rollouts/:id/start (guarded by the management
 * token) while CLIENTS closed-loop clients keep calling the experiment's name for the whole
 * rollout. A good candidate (a copy of iris-softmax) goes shadow → 5 → 25 → 50 % → promoted; a
 * slow one (FAULT_DELAY_MS=4000, so its p99 breaks the bound) and a broken one
 * (FAULT_ERROR_PERCENT=50: half its answers are 500s) are rolled back at their first canary
 * step — and no client request fails in any: the broken candidate's failures are answered by
 * the control (the rollout's fallback) yet logged, and judged, as the candidate's. Every step is
 * read back from the registry with its figures.
 * Own predictors and gateway beside the shared topology (whose monitor stores the log).
 */
const { local } = target();
const id = process.pid;
const TOKEN = `e2e-token-${id}`;
const CONTROL = `e2e-promo-control-${id}`;
const GOOD = `e2e-promo-good-${id}`;
const BAD = `e2e-promo-bad-${id}`;
const BROKEN = `e2e-promo-broken-${id}`;
const WRONG = `e2e-promo-wrong-${id}`;
/** Concurrent clients for the whole of each rollout (the issue asks 20–50). */
const CLIENTS = 24;
const names = (which: string) => ({ experiment: `e2e-promo-${which}-${id}`, model: `e2e-promo-iris-${which}-${id}`, rollout: `e2e-rollout-${which}-${id}` });
const good = names('good');
const bad = names('bad');
const broken = names('broken');
const wrong = names('wrong');
const rows = [
  [5.1, 3.5, 1.4, 0.2],
  [6.2, 2.9, 4.3, 1.3],
  [7.7, 3.0, 6.1, 2.3],
];
let n = 0;
// Each request names its id (the OIP body `id` becomes the request id), so ground truth can be posted for it.
const body = () => ({ id: `e2e-promo-${id}-${n}`, inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: rows[n++ % rows.length] }] });

/** What a client read from one answer. */
interface Answer {
  id?: string;
  parameters?: { experiment?: { variant?: string; fallback_from?: string } };
  outputs?: { name: string; data: unknown[] }[];
}

interface Arm {
  requests: number;
  errors: number;
  error_rate: number;
  p99_ms?: number;
  outcomes: number;
  accuracy?: number;
}
interface Step {
  stage: string;
  weight: number;
  started_at: number;
  ended_at?: number;
  outcome?: string;
  reasons: string[];
  control?: Arm;
  candidate?: Arm;
}
interface Described {
  record: { state: string; by: string; steps: Step[] } | null;
}

const managed = { 'x-management-token': TOKEN, 'x-actor': 'e2e-promotion' };

/**
 * Loads the experiment's name with `clients` closed-loop users from the start until the rollout
 * leaves `running`; the samples note each answer's variant. `onAnswer` sees every answer (e.g. to post its ground truth).
 */
async function rollOutUnderLoad(
  gateway: string,
  which: ReturnType<typeof names>,
  clients: number,
  capMs: number,
  onAnswer?: (answer: Answer) => void,
): Promise<{ samples: Sample[]; record: NonNullable<Described['record']>; ms: number }> {
  const stop = new AbortController();
  const load = closedLoop({
    url: `${gateway}/v2/models/${which.model}/infer`,
    body,
    clients,
    durationMs: capMs,
    signal: stop.signal,
    // The variant that answered; `control<-candidate` when the control answered for a failed candidate (the fallback).
    inspect: (text) => {
      const answer = JSON.parse(text) as Answer;
      onAnswer?.(answer);
      const tag = answer.parameters?.experiment;
      return tag?.fallback_from === undefined ? tag?.variant : `${tag.variant}<-${tag.fallback_from}`;
    },
  });
  const started = Date.now();
  try {
    const start = await postJson<Described>(`${gateway}/v1/rollouts/${which.rollout}/start`, {}, managed);
    expect(start.status).toBe(202);
    expect(start.body.record).toMatchObject({ state: 'running', by: 'e2e-promotion' });
    expect((await postJson(`${gateway}/v1/rollouts/${which.rollout}/start`, {}, managed)).status).toBe(409); // one run at a time
    for (;;) {
      const { body: described } = await http<Described>(`${gateway}/v1/rollouts/${which.rollout}`);
      if (described.record && described.record.state !== 'running') {
        stop.abort();
        return { samples: await load, record: described.record, ms: Date.now() - started };
      }
      if (Date.now() - started > capMs) throw new Error(`rollout ${which.rollout} still running after ${capMs} ms: ${JSON.stringify(described.record)}`);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  } finally {
    stop.abort();
    await load;
  }
}

const experiment = (which: ReturnType<typeof names>, candidate: string) => [
  `  - id: ${which.experiment}`,
  '    kind: ab',
  `    model: ${which.model}`,
  '    variants:',
  `      - { name: control, model: ${CONTROL}, weight: 100 }`,
  `      - { name: candidate, model: ${candidate}, weight: 0 }`,
];
// Bounds wide enough for a loaded shared machine (p99s of 0.3–1 s seen at load 40): within 2 × the control's + 300 ms; the bad candidate is 4 s slower.
const rollout = (which: ReturnType<typeof names>, shadow: boolean, steps: string, windowS = 3) => [
  `  - id: ${which.rollout}`,
  `    experiment: ${which.experiment}`,
  `    shadow: ${shadow}`,
  `    steps: ${steps}`,
  `    window_s: ${windowS}`,
  '    min_samples: 15',
  '    max_step_s: 60',
  '    bounds: { error_rate: 0.01, latency_p99_ratio: 2, latency_p99_slack_ms: 300, accuracy_drop: 0.05, min_outcomes: 10 }',
];

describe.runIf(local)('metric-gated promotion: promote a good candidate, roll back a bad one, under load, no failed request', () => {
  const services = new PrivateServices();
  let gateway: string;

  beforeAll(async () => {
    const file = await services.file(
      'promotion.yaml',
      [
        'experiments:',
        ...experiment(good, GOOD),
        ...experiment(bad, BAD),
        ...experiment(broken, BROKEN),
        ...experiment(wrong, WRONG),
        'rollouts:',
        ...rollout(good, true, '[5, 25, 50]'),
        ...rollout(bad, false, '[5, 50]'),
        ...rollout(broken, false, '[5, 50]'),
        // Longer steps: ground truth follows each answer by ~2 s, and a step must not pass before its outcomes arrive.
        ...rollout(wrong, false, '[5, 50]', 8),
        '',
      ].join('\n'),
    );
    await Promise.all([
      services.predictor('iris-mlp', CONTROL),
      services.predictor('iris-softmax', GOOD),
      services.predictor('iris-softmax', BAD, { FAULT_DELAY_MS: '4000' }),
      services.predictor('iris-softmax', BROKEN, { FAULT_ERROR_PERCENT: '50' }),
      services.predictor('iris-softmax', WRONG),
    ]);
    gateway = await services.gateway({ EXPERIMENTS_FILE: file, MANAGEMENT_TOKEN: TOKEN }, [CONTROL, GOOD, BAD, BROKEN, WRONG, good.model, bad.model, broken.model, wrong.model]);
  }, 180_000);

  afterAll(() => services.stop(), 30_000);

  it('lists the declared rollouts, and starts one only with the management token', async () => {
    const listed = await http<{ rollouts: { rollout: { id: string; steps: number[] }; record: unknown }[] }>(`${gateway}/v1/rollouts`);
    expect(listed.status).toBe(200);
    expect(listed.body.rollouts.map((entry) => [entry.rollout.id, entry.rollout.steps, entry.record])).toEqual([
      [good.rollout, [5, 25, 50], null],
      [bad.rollout, [5, 50], null],
      [broken.rollout, [5, 50], null],
      [wrong.rollout, [5, 50], null],
    ]);
    expect((await postJson(`${gateway}/v1/rollouts/${good.rollout}/start`, {})).status).toBe(401);
    expect((await postJson(`${gateway}/v1/rollouts/${good.rollout}/start`, {}, { 'x-management-token': 'wrong' })).status).toBe(403);
    expect((await postJson(`${gateway}/v1/rollouts/nope/start`, {}, managed)).status).toBe(404);
    expect((await postJson(`${gateway}/v1/rollouts/${good.rollout}/abort`, {}, managed)).status).toBe(409);
  });

  it('advances a good candidate through shadow and every canary step to promotion', async () => {
    const { samples, record, ms } = await rollOutUnderLoad(gateway, good, CLIENTS, 150_000);
    const onCandidate = samples.filter((sample) => sample.note === 'candidate').length;
    console.info(
      `promotion (good): ${record.state} in ${(ms / 1000).toFixed(1)} s, ${samples.length} requests (${onCandidate} answered by the candidate), steps`,
      record.steps.map((step) => `${step.stage} ${step.weight} %: ${(((step.ended_at ?? step.started_at) - step.started_at) / 1000).toFixed(1)} s, candidate ${JSON.stringify(step.candidate)}, control ${JSON.stringify(step.control)}`),
    );
    expect(samples.filter((sample) => sample.status !== 200)).toEqual([]);
    expect(record.state).toBe('promoted');
    expect(record.steps.map((step) => [step.stage, step.weight, step.outcome])).toEqual([
      ['shadow', 0, 'advanced'],
      ['canary', 5, 'advanced'],
      ['canary', 25, 'advanced'],
      ['canary', 50, 'advanced'],
      ['promote', 100, 'promoted'],
    ]);
    for (const step of record.steps.slice(0, 4)) {
      expect(step.candidate!.requests).toBeGreaterThanOrEqual(15);
      expect(step.control!.requests).toBeGreaterThanOrEqual(15);
      expect(step.ended_at! - step.started_at).toBeGreaterThanOrEqual(3_000);
    }
    expect(onCandidate).toBeGreaterThan(0);
    expect(samples.filter((sample) => sample.note?.includes('<-'))).toEqual([]); // a good candidate never needed the fallback
    // The rollout is over: no fallback left behind.
    const parameters = await http<{ parameters: Record<string, { value: unknown }> }>(`${gateway}/v1/parameters`);
    expect(parameters.body.parameters[`experiments.${good.experiment}.fallback`]).toBeUndefined();
    // Promoted: every request now goes to the candidate.
    for (let i = 0; i < 10; i++) {
      const reply = await postJson<{ parameters?: { experiment?: { variant: string } } }>(`${gateway}/v2/models/${good.model}/infer`, body());
      expect(reply.status).toBe(200);
      expect(reply.body.parameters?.experiment?.variant).toBe('candidate');
    }
  }, 180_000);

  it('rolls a slow candidate back at its first canary step: weight 0, experiment off, the reason and figures recorded', async () => {
    const { samples, record, ms } = await rollOutUnderLoad(gateway, bad, CLIENTS, 120_000);
    console.info(
      `promotion (bad): ${record.state} in ${(ms / 1000).toFixed(1)} s, ${samples.length} requests (${samples.filter((sample) => sample.note === 'candidate').length} answered by the candidate), steps`,
      record.steps.map((step) => `${step.stage} ${step.weight} %: ${step.reasons.join('; ')}`),
    );
    expect(samples.filter((sample) => sample.status !== 200)).toEqual([]);
    expect(record.state).toBe('rolled_back');
    expect(record.steps).toHaveLength(1);
    expect(record.steps[0]).toMatchObject({ stage: 'canary', weight: 5, outcome: 'rolled_back', reasons: [expect.stringMatching(/^p99 \d/)] });
    expect(record.steps[0]!.candidate!.p99_ms).toBeGreaterThan(4_000);
    const parameters = await http<{ parameters: Record<string, { value: unknown; by: string }> }>(`${gateway}/v1/parameters`);
    expect(parameters.body.parameters[`experiments.${bad.experiment}.enabled`]).toMatchObject({ value: false, by: expect.stringContaining(bad.rollout) });
    expect(parameters.body.parameters[`experiments.${bad.experiment}.weights`]?.value).toEqual({ control: 100, candidate: 0 });
    expect(parameters.body.parameters[`experiments.${bad.experiment}.fallback`]).toBeUndefined();
    for (let i = 0; i < 10; i++) {
      const reply = await postJson<{ parameters?: { experiment?: { variant: string } } }>(`${gateway}/v2/models/${bad.model}/infer`, body());
      expect(reply.body.parameters?.experiment?.variant).toBe('control');
    }
  }, 150_000);

  it('rolls a failing candidate back with zero failed client requests: the control answers what the candidate fails, the judge still counts it', async () => {
    const started = Date.now();
    const { samples, record, ms } = await rollOutUnderLoad(gateway, broken, CLIENTS, 120_000);
    const fellBack = samples.filter((sample) => sample.note === 'control<-candidate').length;
    console.info(
      `promotion (broken): ${record.state} in ${(ms / 1000).toFixed(1)} s, ${samples.length} requests (${samples.filter((sample) => sample.note === 'candidate').length} answered by the candidate, ${fellBack} by the control for it), steps`,
      record.steps.map((step) => `${step.stage} ${step.weight} %: ${step.reasons.join('; ')}; candidate ${JSON.stringify(step.candidate)}`),
    );
    expect(samples.filter((sample) => sample.status !== 200)).toEqual([]);
    expect(record.state).toBe('rolled_back');
    expect(record.steps).toHaveLength(1);
    expect(record.steps[0]).toMatchObject({ stage: 'canary', weight: 5, outcome: 'rolled_back', reasons: expect.arrayContaining([expect.stringMatching(/^error rate [\d.]+ > control's/)]) });
    expect(record.steps[0]!.candidate!.errors).toBeGreaterThan(0);
    expect(fellBack).toBeGreaterThan(0);
    // The prediction log has each failure under the candidate, and the client's answer under the control as a fallback (same request id).
    const failures = await http<{ records: { request_id: string; status: number; experiment?: { id: string; variant?: string; side?: string } }[] }>(
      `${gateway}/v1/logs?model=${broken.model}&status=500&since=${started}&limit=20`,
    );
    expect(failures.body.records.length).toBeGreaterThan(0);
    expect(failures.body.records[0]!.experiment).toEqual({ id: broken.experiment, variant: 'candidate' });
    const both = await http<{ records: { status: number; experiment?: { variant?: string; side?: string } }[] }>(`${gateway}/v1/logs?request_id=${failures.body.records[0]!.request_id}`);
    expect(both.body.records.map((entry) => [entry.status, entry.experiment?.variant, entry.experiment?.side]).sort()).toEqual([
      [200, 'control', 'fallback'],
      [500, 'candidate', undefined],
    ]);
    const parameters = await http<{ parameters: Record<string, { value: unknown }> }>(`${gateway}/v1/parameters`);
    expect(parameters.body.parameters[`experiments.${broken.experiment}.fallback`]).toBeUndefined();
    expect(parameters.body.parameters[`experiments.${broken.experiment}.weights`]?.value).toEqual({ control: 100, candidate: 0 });
  }, 150_000);

  it('rolls back a candidate whose answers the posted ground truth says are wrong (the accuracy bound), with zero failed requests', async () => {
    // Ground truth as users would post it later: the control's answers confirmed, the candidate's refuted.
    const posts: Promise<number>[] = [];
    const postTruth = (answer: Answer): void => {
      const variant = answer.parameters?.experiment?.variant;
      const label = answer.outputs?.find((output) => output.name === 'label')?.data[0];
      if (answer.id === undefined || variant === undefined || answer.parameters?.experiment?.fallback_from !== undefined) return;
      const truth = variant === 'candidate' ? 'not-a-class' : label;
      // The record is stored within about a second of the answer; feedback before that is a 404.
      posts.push(
        new Promise((resolve) => setTimeout(resolve, 1_500)).then(async () => {
          const first = await postJson(`${gateway}/v1/feedback`, { id: answer.id, label: truth });
          if (first.status !== 404) return first.status;
          await new Promise((resolve) => setTimeout(resolve, 1_500));
          return (await postJson(`${gateway}/v1/feedback`, { id: answer.id, label: truth })).status;
        }),
      );
    };
    const { samples, record, ms } = await rollOutUnderLoad(gateway, wrong, CLIENTS, 120_000, postTruth);
    const statuses = await Promise.all(posts);
    const last = record.steps.at(-1)!;
    console.info(
      `promotion (wrong): ${record.state} in ${(ms / 1000).toFixed(1)} s, ${samples.length} requests (${samples.filter((sample) => sample.note === 'candidate').length} answered by the candidate), ${posts.length} ground truths posted, steps`,
      record.steps.map((step) => `${step.stage} ${step.weight} %: ${step.reasons.join('; ')}; candidate ${JSON.stringify(step.candidate)}; control ${JSON.stringify(step.control)}`),
    );
    expect(samples.filter((sample) => sample.status !== 200)).toEqual([]);
    expect(statuses.filter((status) => status !== 200).length).toBeLessThan(statuses.length / 10); // a few may miss the log's write; most join
    expect(record.state).toBe('rolled_back');
    expect(last).toMatchObject({ stage: 'canary', outcome: 'rolled_back', reasons: expect.arrayContaining([expect.stringMatching(/^accuracy 0 < control's 1 − 0\.05/)]) });
    expect(last.candidate).toMatchObject({ accuracy: 0 });
    expect(last.control).toMatchObject({ accuracy: 1 });
  }, 150_000);
});
