import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from './support/compose.js';
import { http, postJson, type HttpResult } from './support/http.js';
import { PrivateServices } from './support/private-services.js';
import { target } from './support/target.js';

/**
 * Online AB as a user sees it: a name of its own, split 70/30 between two models by a sticky
 * key (the x-user-id header), every answer naming its variant, exposures in the prediction log,
 * ground truth posted per request joined per variant, and a significance test in the report.
 * Own predictors and gateway beside the shared topology (whose monitor stores the log).
 */
const { local } = target();
const id = process.pid;
const EXPERIMENT = `e2e-ab-${id}`;
const NAME = `e2e-ab-iris-${id}`;
const CONTROL = `e2e-ab-control-${id}`;
const CANDIDATE = `e2e-ab-candidate-${id}`;
const rows = [
  [5.1, 3.5, 1.4, 0.2],
  [6.2, 2.9, 4.3, 1.3],
  [7.7, 3.0, 6.1, 2.3],
];
const body = (i: number) => ({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: rows[i % rows.length] }] });

interface Answer {
  model_name?: string;
  outputs?: { name: string; data: unknown[] }[];
  parameters?: { experiment?: { id: string; variant: string; model: string } };
}

interface Report {
  kind: string;
  report: { variants: { name: string; exposures: number; outcomes: { samples: number; correct: number; accuracy?: number }; versus_control?: { z: number; p_value: number; significant: boolean } }[] };
}

/** Runs `count` calls with `concurrency` in flight. */
async function pool<T>(count: number, concurrency: number, call: (i: number) => Promise<T>): Promise<T[]> {
  const results: T[] = new Array<T>(count);
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        results[i] = await call(i);
      }
    }),
  );
  return results;
}

describe.runIf(local)('online AB: weighted, sticky split; exposures and outcomes per variant', () => {
  const services = new PrivateServices();
  let gateway: string;
  let split: HttpResult<Answer>[] = [];

  beforeAll(async () => {
    const file = await services.file(
      'ab-experiments.yaml',
      [
        'experiments:',
        `  - id: ${EXPERIMENT}`,
        '    kind: ab',
        `    model: ${NAME}`,
        '    key: { header: x-user-id }',
        '    variants:',
        `      - { name: control, model: ${CONTROL}, weight: 70 }`,
        `      - { name: candidate, model: ${CANDIDATE}, weight: 30 }`,
        '',
      ].join('\n'),
    );
    await Promise.all([services.predictor('iris-mlp', CONTROL), services.predictor('iris-softmax', CANDIDATE)]);
    gateway = await services.gateway({ EXPERIMENTS_FILE: file }, [CONTROL, CANDIDATE, NAME]);
  }, 180_000);

  afterAll(() => services.stop(), 30_000);

  it('splits 2,000 users within ±3 % of the weights; every answer names its variant', async () => {
    split = await pool(2_000, 16, (i) => postJson<Answer>(`${gateway}/v2/models/${NAME}/infer`, body(i), { 'x-user-id': `user-${i}` }));
    expect(split.filter((reply) => reply.status !== 200)).toEqual([]);
    const candidate = split.filter((reply) => reply.headers.get('x-msp-variant') === 'candidate').length;
    console.info(`online AB: ${candidate} of 2000 users (${((candidate / 2000) * 100).toFixed(1)} %) on the candidate (weight 30 %)`);
    expect(Math.abs(candidate / 2_000 - 0.3)).toBeLessThanOrEqual(0.03);
    for (const reply of split) {
      const variant = reply.headers.get('x-msp-variant');
      expect(reply.body.model_name).toBe(NAME);
      expect(reply.body.parameters?.experiment).toEqual({ id: EXPERIMENT, variant, model: variant === 'control' ? CONTROL : CANDIDATE });
    }
  }, 120_000);

  it('is sticky: a user sees the same variant every time', async () => {
    for (const user of ['user-1', 'user-2', 'user-3', 'user-4', 'user-5']) {
      const variants = new Set<string | null>();
      for (let i = 0; i < 10; i++) variants.add((await postJson(`${gateway}/v2/models/${NAME}/infer`, body(i), { 'x-user-id': user })).headers.get('x-msp-variant'));
      expect(variants.size).toBe(1);
      expect(variants.has(split[Number(user.slice(5))]!.headers.get('x-msp-variant'))).toBe(true);
    }
    // Serves as a model: metadata under its own name, ready when every variant is.
    expect((await http(`${gateway}/v2/models/${NAME}/ready`)).status).toBe(200);
    expect((await http<{ name: string }>(`${gateway}/v2/models/${NAME}`)).body.name).toBe(NAME);
  }, 60_000);

  it('joins posted ground truth per variant and tests the difference (two-proportion z-test)', async () => {
    // Ground truth for 200 users of each variant: the control's answers are confirmed; half the candidate's are refuted.
    const byVariant = (name: string) => split.filter((reply) => reply.headers.get('x-msp-variant') === name).slice(0, 200);
    const feedback = [
      ...byVariant('control').map((reply) => ({ reply, right: true })),
      ...byVariant('candidate').map((reply, i) => ({ reply, right: i % 2 === 0 })),
    ];
    await eventually('the split’s exposures stored', async () => {
      const report = (await http<Report>(`${gateway}/v1/experiments/${EXPERIMENT}`)).body.report;
      return report.variants.reduce((sum, variant) => sum + variant.exposures, 0) >= 2_000;
    }, 30_000);
    await pool(feedback.length, 8, async (i) => {
      const { reply, right } = feedback[i]!;
      const predicted = reply.body.outputs?.find((output) => output.name === 'label')?.data[0];
      const posted = await postJson(`${gateway}/v1/feedback`, { id: reply.headers.get('x-request-id'), label: right ? predicted : 'not-a-class' });
      expect(posted.status).toBe(200);
    });
    const report = (await http<Report>(`${gateway}/v1/experiments/${EXPERIMENT}`)).body;
    console.info('online AB report', JSON.stringify(report.report));
    expect(report.kind).toBe('ab');
    const [control, candidate] = report.report.variants;
    expect(control).toMatchObject({ name: 'control', outcomes: { samples: 200, correct: 200, accuracy: 1 } });
    expect(candidate).toMatchObject({ name: 'candidate', outcomes: { samples: 200, correct: 100, accuracy: 0.5 } });
    expect(control!.exposures + candidate!.exposures).toBeGreaterThanOrEqual(2_000);
    expect(candidate!.versus_control).toMatchObject({ significant: true });
    expect(candidate!.versus_control!.p_value).toBeLessThan(0.001);
  }, 120_000);
});
