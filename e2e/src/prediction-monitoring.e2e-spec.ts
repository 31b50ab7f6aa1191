import { setTimeout as sleep } from 'node:timers/promises';
import { connect, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MonitoringSubjects, type AlertEvent, type MonitoringView } from '@msp/contracts';
import { loadIrisSplit, loadMnistSplit, MNIST_SIDE } from '@msp/datasets';
import { http, inferBody, postJson } from './support/http.js';
import { PrivateServices } from './support/private-services.js';
import { target } from './support/target.js';

const { local } = target();
const run = `${process.pid}`;
// Copies of iris-mlp (with its training reference) under names of their own, so no other spec's traffic mixes in.
const NORMAL = `mon-${run}-normal`;
const DRIFT = `mon-${run}-drift`;
const ERRORS = `mon-${run}-errors`;
const DIGITS = `mon-${run}-digits`;
const SHIFTED_DIGITS = `mon-${run}-shifted-digits`;
const PETAL_LENGTH = 2;

/**
 * Prediction monitoring end to end: the gateway logs every prediction, the monitor windows them
 * per model against the training reference the trainer stored in the manifest, and raises (and
 * clears) alerts as NATS events (`msp.alerts.<model>`) and in GET /v1/monitoring/{model}.
 */
describe.runIf(local)('prediction monitoring: drift, error-rate alerts and their end', () => {
  const services = new PrivateServices();
  const heldOut = loadIrisSplit().test.features;
  const events: AlertEvent[] = [];
  let gateway: string;
  let nc: NatsConnection;
  let subscription: Subscription;

  const send = (model: string, rows: readonly number[][], headers: Record<string, string> = {}) =>
    Promise.all(rows.map((row) => postJson(`${gateway}/v2/models/${model}/infer`, { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: row }] }, headers)));

  const view = async (model: string): Promise<MonitoringView> => {
    const answer = await http<MonitoringView>(`${gateway}/v1/monitoring/${model}`, { timeoutMs: 5_000 });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    return answer.body;
  };

  /**
   * Polls the view until `done` holds (the monitor evaluates every 500 ms here). Until the first
   * logged prediction has reached the monitor (JetStream, then a batch insert) the view is a 404.
   */
  /**
   * Waits for an alert event on NATS: a replica announces it after it claimed the alert in the
   * shared KV (a round trip behind the view), and possibly behind other models' announcements.
   */
  const announced = async (expected: Partial<AlertEvent>, timeoutMs = 20_000): Promise<void> => {
    const matches = (event: AlertEvent) => Object.entries(expected).every(([key, value]) => event[key as keyof AlertEvent] === value);
    const stop = Date.now() + timeoutMs;
    while (!events.some(matches) && Date.now() < stop) await sleep(100);
    expect(events).toContainEqual(expect.objectContaining(expected));
  };

  const until = async (model: string, done: (view: MonitoringView) => boolean, timeoutMs = 20_000): Promise<MonitoringView> => {
    const stop = Date.now() + timeoutMs;
    for (;;) {
      const answer = await http<MonitoringView>(`${gateway}/v1/monitoring/${model}`, { timeoutMs: 5_000 });
      if (answer.status === 200 && done(answer.body)) return answer.body;
      if (Date.now() > stop) return view(model); // the last state, or the error that kept it from one
      await sleep(250);
    }
  };

  beforeAll(async () => {
    nc = await connect({ servers: target().natsUrl });
    subscription = nc.subscribe(MonitoringSubjects.alerts, { callback: (_error, msg) => void events.push(msg.json<AlertEvent>()) });
    await nc.flush();
    await Promise.all([
      services.predictor('iris-mlp', NORMAL),
      services.predictor('iris-mlp', DRIFT),
      services.predictor('iris-mlp', ERRORS, { FAULT_DELAY_MS: '200' }),
      services.predictor('mnist-mlp', DIGITS),
      services.predictor('mnist-mlp', SHIFTED_DIGITS),
    ]);
    gateway = await services.gateway({}, [NORMAL, DRIFT, ERRORS, DIGITS, SHIFTED_DIGITS]);
  }, 120_000);

  afterAll(async () => {
    subscription?.unsubscribe();
    await nc?.drain();
    await services.stop();
  });

  it('held-out traffic raises no alert; the view names the owner and the reference', async () => {
    for (const answer of await send(NORMAL, [...heldOut, ...heldOut])) expect(answer.status).toBe(200);
    const settled = await until(NORMAL, (v) => v.window.count >= 60 && v.drift.samples >= 60);
    await sleep(1_500); // several evaluations
    const now = await view(NORMAL);
    expect(settled.window.count).toBeGreaterThanOrEqual(60);
    expect(now.drift.reference).toBe(true);
    expect(now.drift.features.map((f) => f.name)).toEqual(['sepal_length', 'sepal_width', 'petal_length', 'petal_width']);
    expect(now.drift.features.every((f) => !f.drifted)).toBe(true);
    expect(now.error_rate).toBe(0);
    expect(now.owner).toMatch(/maintainers/);
    expect(now.description).toMatch(/MLP/);
    expect(now.alerts).toEqual([]);
    expect(events.filter((event) => event.model === NORMAL)).toEqual([]);
  });

  it('one shifted feature raises a drift alert naming it, which clears once normal traffic returns', async () => {
    const shifted = heldOut.map((row) => row.map((value, i) => (i === PETAL_LENGTH ? value + 3 : value)));
    for (const answer of await send(DRIFT, [...shifted, ...shifted])) expect(answer.status).toBe(200);
    const drifted = await until(DRIFT, (v) => v.alerts.some((a) => a.kind === 'drift'));
    const driftAlerts = drifted.alerts.filter((alert) => alert.kind === 'drift');
    expect(driftAlerts.map((alert) => alert.feature)).toEqual(['petal_length']);
    expect(drifted.drift.features.find((f) => f.name === 'petal_length')?.drifted).toBe(true);
    await announced({ model: DRIFT, kind: 'drift', feature: 'petal_length', state: 'firing' });

    // Normal traffic dilutes the window until the shift is within the noise: the alert clears.
    for (let round = 0; round < 30; round++) await send(DRIFT, heldOut);
    const cleared = await until(DRIFT, (v) => !v.alerts.some((a) => a.kind === 'drift'));
    expect(cleared.alerts.filter((alert) => alert.kind === 'drift'), JSON.stringify(cleared)).toEqual([]);
    await announced({ model: DRIFT, kind: 'drift', feature: 'petal_length', state: 'resolved' });
  });

  it('image models: held-out digits raise no alert; digits moved 3 px to the right raise drift on centre_x only', async () => {
    const digits = loadMnistSplit().test.images.slice(0, 200);
    const sendDigits = async (model: string, images: readonly Float32Array[]) => {
      for (let start = 0; start < images.length; start += 20) {
        const answer = await postJson(`${gateway}/v2/models/${model}/infer`, inferBody(images.slice(start, start + 20), [MNIST_SIDE, MNIST_SIDE]));
        expect(answer.status, JSON.stringify(answer.body).slice(0, 300)).toBe(200);
      }
    };
    await Promise.all([sendDigits(DIGITS, digits), sendDigits(SHIFTED_DIGITS, digits.map((image) => shiftRight(image, 3)))]);

    const drifted = await until(SHIFTED_DIGITS, (v) => v.alerts.some((a) => a.kind === 'drift'));
    expect(drifted.drift.features.map((f) => f.name)).toEqual(['ink', 'centre_x', 'centre_y']);
    expect(drifted.alerts.filter((alert) => alert.kind === 'drift').map((alert) => alert.feature), JSON.stringify(drifted.drift)).toEqual(['centre_x']);

    const normal = await until(DIGITS, (v) => v.drift.samples >= 200);
    expect(normal.drift.reference).toBe(true);
    expect(normal.drift.samples).toBe(200);
    expect(normal.drift.features.every((f) => !f.drifted), JSON.stringify(normal.drift)).toBe(true);
    expect(normal.alerts).toEqual([]);
  });

  it('a burst of errors raises an error-rate alert', async () => {
    // The predictor answers after 200 ms; these requests give it 50: every one ends in 504.
    const answers = await send(ERRORS, heldOut.slice(0, 20).concat(heldOut.slice(0, 20)), { 'x-timeout-ms': '50' });
    expect(answers.every((answer) => answer.status === 504)).toBe(true);
    const failing = await until(ERRORS, (v) => v.alerts.some((a) => a.kind === 'error_rate'));
    expect(failing.error_rate).toBe(1);
    expect(failing.alerts).toContainEqual(expect.objectContaining({ kind: 'error_rate', state: 'firing', threshold: 0.1 }));
    await announced({ model: ERRORS, kind: 'error_rate', state: 'firing' });
  });

  it('answers 404 for a model without predictions in the window', async () => {
    const answer = await http(`${gateway}/v1/monitoring/nobody-${run}`);
    expect(answer.status).toBe(404);
    expect(answer.body).toEqual({ error: expect.stringMatching(/no prediction/) });
  });
});

/** A 28×28 digit moved `pixels` to the right (the columns it leaves are blank). */
function shiftRight(image: Float32Array, pixels: number): Float32Array {
  const moved = new Float32Array(image.length);
  for (let y = 0; y < MNIST_SIDE; y++) {
    for (let x = pixels; x < MNIST_SIDE; x++) moved[y * MNIST_SIDE + x] = image[y * MNIST_SIDE + x - pixels] as number;
  }
  return moved;
}
