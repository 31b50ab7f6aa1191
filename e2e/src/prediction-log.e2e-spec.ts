import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '@msp/topology';
import { setTimeout as sleep } from 'node:timers/promises';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { loadMnistSplit } from '@msp/datasets';
import type { LoggedPrediction } from '@msp/contracts';
import { http, postJson } from './support/http.js';
import { target } from './support/target.js';

const { local } = target();
const iris = (row: number[]) => ({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: row }] });

/** The logged records of these request ids, once all of them are there (the log is written asynchronously). */
async function logged(gatewayUrl: string, ids: readonly string[], timeoutMs = 15_000): Promise<Map<string, LoggedPrediction>> {
  const until = Date.now() + timeoutMs;
  const found = new Map<string, LoggedPrediction>();
  while (Date.now() < until) {
    for (const id of ids.filter((id) => !found.has(id))) {
      const answer = await http<{ records: LoggedPrediction[] }>(`${gatewayUrl}/v1/logs?request_id=${encodeURIComponent(id)}`, { timeoutMs: 5_000 });
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      // The request's own record: a graph's model steps share its request id (and name the graph).
      const record = answer.body.records.find((candidate) => candidate.graph === undefined);
      if (record) found.set(id, record);
    }
    if (found.size === ids.length) return found;
    await sleep(200);
  }
  return found;
}

// The shared topology runs the monitor; a remote target may not.
describe.runIf(local)('prediction log: every prediction, whatever the pattern, read back with GET /v1/logs', () => {
  it('logs sync, web-single, graph, async and failed predictions, and joins ground truth posted later', async () => {
    const { gatewayUrl, webSingleUrl } = target();
    const run = randomUUID().slice(0, 8);
    const id = (name: string): string => `log-${run}-${name}`;
    const since = Date.now();

    const sync = await Promise.all(
      [0, 1, 2].map((i) => postJson(`${gatewayUrl}/v2/models/iris-softmax/infer`, iris([5.1 + i / 10, 3.5, 1.4, 0.2]), { 'x-request-id': id(`sync-${i}`) })),
    );
    for (const answer of sync) expect(answer.status).toBe(200);
    expect((await postJson(`${webSingleUrl}/v2/models/iris-mlp/infer`, iris([6.3, 3.3, 6.0, 2.5]), { 'x-request-id': id('web') })).status).toBe(200);
    expect((await postJson(`${gatewayUrl}/v2/models/iris-ensemble/infer`, iris([5.9, 3.0, 4.2, 1.5]), { 'x-request-id': id('graph') })).status).toBe(200);
    const bad = await postJson(`${gatewayUrl}/v2/models/iris-softmax/infer`, { inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 3], data: [1, 2, 3] }] }, { 'x-request-id': id('bad') });
    expect(bad.status).toBe(400);
    const job = await postJson<{ job_id: string }>(`${gatewayUrl}/v1/async/models/iris-trees/infer`, iris([6.7, 3.1, 4.4, 1.4]), { 'x-request-id': id('async') });
    expect(job.status).toBe(202);

    const ids = [...[0, 1, 2].map((i) => id(`sync-${i}`)), id('web'), id('graph'), id('bad'), id('async')];
    const records = await logged(gatewayUrl, ids);
    expect([...records.keys()].sort()).toEqual([...ids].sort());
    expect(records.get(id('sync-0'))).toMatchObject({ pattern: 'sync', model: 'iris-softmax', status: 200, version: expect.any(String) });
    expect(records.get(id('web'))).toMatchObject({ pattern: 'web-single', model: 'iris-mlp', status: 200 });
    expect(records.get(id('graph'))).toMatchObject({ pattern: 'graph', model: 'iris-ensemble', status: 200 });
    expect(records.get(id('async'))).toMatchObject({ pattern: 'async', model: 'iris-trees', status: 200 });
    expect(records.get(id('bad'))).toMatchObject({ status: 400, error: expect.stringMatching(/shape|input/i) });
    const first = records.get(id('sync-0'));
    expect(first?.input.sha256).toMatch(/^[0-9a-f]{64}$/);
    // The suite's services trace (global setup): the record names its trace.
    expect(first?.trace_id).toMatch(/^[0-9a-f]{32}$/);
    expect(first?.input.data).toEqual([{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }]);
    expect(first?.latency_ms['total']).toBeGreaterThan(0);
    expect(first?.output).toEqual(expect.arrayContaining([expect.objectContaining({ name: expect.any(String) })]));

    // Ground truth, joined to the logged prediction.
    const feedback = await postJson(`${gatewayUrl}/v1/feedback`, { id: id('sync-0'), label: 'setosa' });
    expect(feedback.status, JSON.stringify(feedback.body)).toBe(200);
    const listed = await http<{ records: LoggedPrediction[] }>(`${gatewayUrl}/v1/logs?model=iris-softmax&since=${since}&limit=1000`);
    expect(listed.status).toBe(200);
    const joined = listed.body.records.find((record) => record.request_id === id('sync-0'));
    expect(joined?.feedback).toMatchObject({ label: 'setosa' });
    expect(listed.body.records.every((record) => record.model === 'iris-softmax' && record.ts >= since)).toBe(true);
    const failed = await http<{ records: LoggedPrediction[] }>(`${gatewayUrl}/v1/logs?status=400&since=${since}`);
    expect(failed.body.records.map((record) => record.request_id)).toContain(id('bad'));

    // `pnpm logs` reads the same log from the terminal.
    const cli = await promisify(execFile)(process.execPath, [join(repoRoot(), 'apps/monitor/dist/logs-main.js'), '--id', id('sync-0'), '--json'], {
      env: { ...process.env, NATS_URL: target().natsUrl },
      timeout: 20_000,
    });
    const lines = cli.stdout.trim().split('\n').map((text) => JSON.parse(text) as LoggedPrediction);
    expect(lines).toEqual([expect.objectContaining({ request_id: id('sync-0'), feedback: expect.objectContaining({ label: 'setosa' }) })]);
  });

  it('logs an uploaded image under its graph, and the tensor it became under the model step, with its image statistics', async () => {
    const { gatewayUrl } = target();
    const requestId = `log-upload-${randomUUID().slice(0, 8)}`;
    const digit = loadMnistSplit().test.images[0] as Float32Array;
    const png = await sharp(Buffer.from(Uint8Array.from(digit, (v) => Math.round(v * 255))), { raw: { width: 28, height: 28, channels: 1 } }).png().toBuffer();
    const boundary = `----msp${randomUUID()}`;
    const body = Buffer.concat([
      Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="digit.png"\r\nContent-Type: image/png\r\n\r\n`),
      png,
      Buffer.from(`\r\n--${boundary}--\r\n`),
    ]);
    const upload = await http(`${gatewayUrl}/v1/models/mnist-image/upload`, {
      method: 'POST',
      headers: { 'content-type': `multipart/form-data; boundary=${boundary}`, 'x-request-id': requestId },
      body,
      timeoutMs: 30_000,
    });
    expect(upload.status, JSON.stringify(upload.body)).toBe(200);

    const until = Date.now() + 15_000;
    let records: LoggedPrediction[] = [];
    while (Date.now() < until && records.length < 2) {
      records = (await http<{ records: LoggedPrediction[] }>(`${gatewayUrl}/v1/logs?request_id=${requestId}`, { timeoutMs: 5_000 })).body.records;
      if (records.length < 2) await sleep(200);
    }
    const byModel = new Map(records.map((record) => [record.model, record]));
    expect(byModel.get('mnist-image')).toMatchObject({ pattern: 'graph', status: 200 });
    expect(byModel.get('mnist-image')).not.toHaveProperty('graph');
    const step = byModel.get('mnist-cnn');
    expect(step).toMatchObject({ pattern: 'graph', graph: 'mnist-image', status: 200, version: expect.any(String) });
    // [ink, centre_x, centre_y] of the one 28×28 image the preprocess step made: a digit has ink near the centre.
    expect(step?.input.image).toHaveLength(1);
    const [ink, x, y] = step?.input.image?.[0] ?? [];
    expect(ink).toBeGreaterThan(0.05);
    expect(ink).toBeLessThan(0.5);
    expect(Math.abs((x ?? 0) - 0.5)).toBeLessThan(0.2);
    expect(Math.abs((y ?? 0) - 0.5)).toBeLessThan(0.2);
  });

  it('answers 404 for feedback on an unknown request and 400 for a bad query', async () => {
    const { gatewayUrl } = target();
    const unknown = await postJson(`${gatewayUrl}/v1/feedback`, { id: `nobody-${randomUUID()}`, label: 'setosa' });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ error: expect.stringMatching(/no logged prediction/) });
    expect((await postJson(`${gatewayUrl}/v1/feedback`, { label: 'setosa' })).status).toBe(400);
    const badLimit = await http(`${gatewayUrl}/v1/logs?limit=0`);
    expect(badLimit.status).toBe(400);
    expect(badLimit.body).toEqual({ error: expect.stringMatching(/limit/) });
  });
});
