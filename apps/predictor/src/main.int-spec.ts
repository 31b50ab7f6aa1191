import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Subjects, type InferResponse } from '@msp/contracts';
import {
  connectTestClient,
  fixtureModelsDir,
  NATS_URL,
  trainedModelPresent,
  TRAINED_MODELS,
} from './testing/predictor.harness.js';

/**
 * Integration: the built predictor (`dist/main.js`) as a real process — web-single HTTP beside
 * NATS, clean shutdown on signals, refusal to start on bad configuration or a missing model.
 */

const MAIN = fileURLToPath(new URL('../dist/main.js', import.meta.url));
const built = existsSync(MAIN);

interface Running {
  child: ChildProcess;
  lines: Record<string, unknown>[];
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function run(env: Record<string, string>): Running {
  const child = spawn(process.execPath, [MAIN], {
    env: { PATH: process.env.PATH ?? '', NATS_URL, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const lines: Record<string, unknown>[] = [];
  let partial = '';
  child.stdout!.on('data', (chunk: Buffer) => {
    const text = partial + chunk.toString('utf8');
    const complete = text.split('\n');
    partial = complete.pop() ?? '';
    for (const line of complete) {
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ msg: line });
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => lines.push({ stderr: chunk.toString('utf8') }));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return { child, lines, exited };
}

async function waitForLog(running: Running, message: string | RegExp, timeoutMs = 15_000): Promise<Record<string, unknown>> {
  const until = Date.now() + timeoutMs;
  while (Date.now() < until) {
    const line = running.lines.find((entry) => typeof entry.msg === 'string' && entry.msg.match(message));
    if (line) return line;
    if (running.child.exitCode !== null) break;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`no log line ${String(message)}; got:\n${running.lines.map((l) => JSON.stringify(l)).join('\n')}`);
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (typeof address !== 'object' || !address) throw new Error('no port');
  return address.port;
}

async function stop(running: Running, signal: NodeJS.Signals = 'SIGTERM') {
  if (running.child.exitCode === null && running.child.signalCode === null) running.child.kill(signal);
  return running.exited;
}

const title = built ? 'predictor process (dist/main.js)' : `predictor process — SKIPPED: ${MAIN} is missing; run \`npx tsc -b apps/predictor\``;

describe.skipIf(!built)(title, () => {
  let nc: NatsConnection;
  let fixture: Awaited<ReturnType<typeof fixtureModelsDir>>;

  beforeAll(async () => {
    nc = await connectTestClient();
    fixture = await fixtureModelsDir();
  });

  afterAll(async () => {
    await nc?.close();
    await fixture?.cleanup();
  });

  describe('web-single (HTTP_PORT set)', () => {
    let predictor: Running;
    let base: string;

    beforeAll(async () => {
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      predictor = run({
        MODEL_NAME: fixture.name,
        MODELS_DIR: fixture.modelsDir,
        HTTP_PORT: String(port),
        HTTP_HOST: '127.0.0.1',
      });
      await waitForLog(predictor, 'predictor started');
    });

    afterAll(async () => {
      if (predictor) await stop(predictor);
    });

    const body = {
      id: 'same-answer',
      inputs: [{ name: 'input', shape: [2, 4], datatype: 'FP32', data: [[0, 0, 3, 1], [2, 1, 0, 0]] }],
    };

    it('logs the model it serves: version, sha256, specs and warm-up time', () => {
      const loaded = predictor.lines.find((line) => line.msg === `model ${fixture.name}@3 loaded`);
      expect(loaded).toMatchObject({
        service: `predictor:${fixture.name}`,
        model: fixture.name,
        version: '3',
        sha256: expect.stringMatching(/^[0-9a-f]{64}$/),
        inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 4] }],
        warmUpMs: expect.any(Number),
      });
    });

    it('answers OIP v2 over HTTP exactly as over NATS', async () => {
      const http = await fetch(`${base}/v2/models/${fixture.name}/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(http.status).toBe(200);
      const overHttp = (await http.json()) as InferResponse;
      const overNats = (await nc.request(Subjects.infer(fixture.name), JSON.stringify(body), { timeout: 2000 })).json<InferResponse>();
      expect(overHttp).toEqual(overNats);
      expect(overHttp.outputs.find((output) => output.name === 'label')?.data).toEqual(['third', 'first']);
      expect(overHttp.id).toBe('same-answer');
    });

    it('serves health, metadata and the version route', async () => {
      expect((await fetch(`${base}/v2/health/ready`)).status).toBe(200);
      const metadata = await (await fetch(`${base}/v2/models/${fixture.name}`)).json();
      expect(metadata).toMatchObject({ name: fixture.name, versions: ['3'], platform: 'onnxruntime' });
      const pinned = await fetch(`${base}/v2/models/${fixture.name}/versions/3/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      expect(pinned.status).toBe(200);
    });

    it('answers errors in the OIP shape: 400 naming the input, 404 for another model or version', async () => {
      const wrong = await fetch(`${base}/v2/models/${fixture.name}/infer`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ inputs: [{ name: 'input', shape: [1, 3], datatype: 'FP32', data: [1, 2, 3] }] }),
      });
      expect(wrong.status).toBe(400);
      expect(((await wrong.json()) as { error: string }).error).toMatch(/input 'input': shape \[1,3\]/);
      const other = await fetch(`${base}/v2/models/iris-nothing`);
      expect(other.status).toBe(404);
      expect(((await other.json()) as { error: string }).error).toContain(`this predictor serves ${fixture.name}@3`);
      expect((await fetch(`${base}/v2/models/${fixture.name}/versions/9`)).status).toBe(404);
    });

    it('serves GET /metrics on its HTTP port, counting OIP requests by route template and model', async () => {
      const response = await fetch(`${base}/metrics`);
      expect(response.status).toBe(200);
      const text = await response.text();
      expect(text).toMatch(
        new RegExp(`msp_requests_total\\{route="/v2/models/:model/infer",model="${fixture.name}",code="200",service="predictor"\\} [1-9]`),
      );
      expect(text).toContain(`msp_inference_duration_seconds_count{service="predictor",model="${fixture.name}"}`);
    });

    it('shuts down on SIGTERM: stops the micro service, drains NATS, exits 0', async () => {
      expect(await stop(predictor, 'SIGTERM')).toEqual({ code: 0, signal: null });
      const messages = predictor.lines.map((line) => line.msg);
      expect(messages).toContain('NATS micro service stopped');
      expect(messages).toContain('NATS connection drained');
      await expect(nc.request(Subjects.infer(fixture.name), JSON.stringify(body), { timeout: 1000 })).rejects.toThrow(
        /no responders/i,
      );
    });
  });

  describe('NATS only (HTTP_PORT unset)', () => {
    it.each(['SIGTERM', 'SIGINT'] as const)('serves, then on %s drains NATS and exits 0', async (signal) => {
      const predictor = run({ MODEL_NAME: fixture.name, MODELS_DIR: fixture.modelsDir });
      try {
        await waitForLog(predictor, 'predictor started');
        const reply = await nc.request(
          Subjects.infer(fixture.name),
          JSON.stringify({ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [0, 5, 0, 0] }] }),
          { timeout: 2000 },
        );
        expect(reply.json<InferResponse>().outputs[1]?.data).toEqual(['second']);
      } finally {
        expect(await stop(predictor, signal)).toEqual({ code: 0, signal: null });
      }
      const messages = predictor.lines.map((line) => line.msg);
      expect(messages).toContain('NATS micro service stopped');
      expect(messages).toContain('NATS connection drained');
    });

    it('warns loudly at start when FAULT_DELAY_MS is set', async () => {
      const predictor = run({ MODEL_NAME: fixture.name, MODELS_DIR: fixture.modelsDir, FAULT_DELAY_MS: '50' });
      try {
        const warning = await waitForLog(predictor, /FAULT_DELAY_MS=50/);
        expect(warning.level).toBe('warn');
        await waitForLog(predictor, 'predictor started');
      } finally {
        await stop(predictor);
      }
    });
  });

  describe('ops server (OPS_PORT set, no HTTP_PORT)', () => {
    it('is not ready (503) before the model is served, ready (200) after, and counts NATS inferences', async () => {
      // NATS is not there at first (its port is free), so the predictor cannot serve yet.
      const natsPort = await freePort();
      const opsPort = await freePort();
      const natsUrl = `nats://127.0.0.1:${natsPort}`;
      const predictor = run({ MODEL_NAME: fixture.name, MODELS_DIR: fixture.modelsDir, NATS_URL: natsUrl, OPS_PORT: String(opsPort) });
      const ops = `http://127.0.0.1:${opsPort}`;
      let nats: ChildProcess | undefined;
      let client: NatsConnection | undefined;
      try {
        await waitForLog(predictor, 'ops server listening');
        expect((await fetch(`${ops}/health/live`)).status).toBe(200);
        const before = await fetch(`${ops}/health/ready`);
        expect(before.status).toBe(503);
        expect(await before.json()).toMatchObject({
          ready: false,
          conditions: { 'nats-connected': false, 'endpoint-subscribed': false },
        });

        nats = spawn('nats-server', ['-a', '127.0.0.1', '-p', String(natsPort)], { stdio: 'ignore' });
        await waitForLog(predictor, 'predictor started', 20_000);
        const after = await fetch(`${ops}/health/ready`);
        expect(after.status).toBe(200);
        expect(await after.json()).toEqual({
          ready: true,
          conditions: { 'model-loaded': true, 'nats-connected': true, 'endpoint-subscribed': true },
        });

        client = await connect({ servers: natsUrl, timeout: 2000 });
        const reply = await client.request(
          Subjects.infer(fixture.name),
          JSON.stringify({ inputs: [{ name: 'input', shape: [1, 4], datatype: 'FP32', data: [0, 5, 0, 0] }] }),
          { timeout: 2000 },
        );
        expect(reply.json<InferResponse>().outputs[1]?.data).toEqual(['second']);
        const metrics = await (await fetch(`${ops}/metrics`)).text();
        expect(metrics).toContain(
          `msp_requests_total{route="${Subjects.infer(fixture.name)}",model="${fixture.name}",code="200",service="predictor"} 1`,
        );
        expect(metrics).toContain(`msp_inference_duration_seconds_count{service="predictor",model="${fixture.name}"} 1`);
        expect(metrics).toMatch(/nodejs_eventloop_lag_seconds\{service="predictor"\}/);
      } finally {
        await client?.close();
        expect(await stop(predictor)).toEqual({ code: 0, signal: null });
        nats?.kill('SIGTERM');
      }
    });
  });

  describe('refuses to start', () => {
    it('lists every bad variable and exits 1', async () => {
      const predictor = run({ MODEL_NAME: 'Not A Name', MAX_BATCH_ROWS: 'many', HTTP_PORT: '99999' });
      expect(await predictor.exited).toEqual({ code: 1, signal: null });
      const fatal = predictor.lines.find((line) => line.level === 'fatal');
      expect(fatal?.problems).toEqual([
        expect.stringContaining('MODEL_NAME='),
        expect.stringContaining('HTTP_PORT='),
        expect.stringContaining('MAX_BATCH_ROWS='),
      ]);
    });

    it('names the missing model file and exits 1', async () => {
      const predictor = run({ MODEL_NAME: 'no-such-model', MODELS_DIR: fixture.modelsDir });
      expect(await predictor.exited).toEqual({ code: 1, signal: null });
      const fatal = predictor.lines.find((line) => line.level === 'fatal');
      expect(fatal?.msg).toContain(`${fixture.modelsDir}/no-such-model/manifest.json does not exist`);
    });
  });

  const irisReady = trainedModelPresent('iris-mlp');
  describe.skipIf(!irisReady)(
    irisReady ? 'web-single with the trained iris-mlp' : `web-single with iris-mlp — SKIPPED: ${TRAINED_MODELS}/iris-mlp not found`,
    () => {
      it('labels setosa and virginica over HTTP', async () => {
        const port = await freePort();
        const predictor = run({ MODEL_NAME: 'iris-mlp', MODELS_DIR: TRAINED_MODELS, HTTP_PORT: String(port), HTTP_HOST: '127.0.0.1' });
        try {
          await waitForLog(predictor, 'predictor started');
          const response = await fetch(`http://127.0.0.1:${port}/v2/models/iris-mlp/infer`, {
            method: 'POST',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              inputs: [{ name: 'input', shape: [2, 4], datatype: 'FP32', data: [5.1, 3.5, 1.4, 0.2, 6.7, 3.0, 5.2, 2.3] }],
              outputs: [{ name: 'label' }],
            }),
          });
          expect(response.status).toBe(200);
          const answer = (await response.json()) as InferResponse;
          expect(answer.outputs).toEqual([{ name: 'label', datatype: 'BYTES', shape: [2], data: ['setosa', 'virginica'] }]);
        } finally {
          await stop(predictor);
        }
      });
    },
  );
});
