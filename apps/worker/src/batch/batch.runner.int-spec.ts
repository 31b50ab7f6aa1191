import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePredictorMetadata, MspError, parseInferRequest, ServiceNames, Subjects } from '@msp/contracts';
import { addEndpoint, addMicroService, connectNats, type NatsConnection, type Service } from '@msp/messaging';
import { createLogger } from '@msp/telemetry';
import type { BatchOptions } from './batch-options.js';
import { runBatch } from './batch.runner.js';
import { BatchRunError } from './predictor.client.js';

/**
 * The batch runner against the real NATS, with a stand-in predictor registered as a real
 * `msp-predictor` micro service under a model name of its own, whose failures the test controls.
 */
const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
const logger = createLogger({ service: 'batch-spec', level: 'silent' });
const MODEL = `batch-spec-${process.pid}-${Date.now()}`;
const LABELS = ['small', 'large'];

let nc: NatsConnection;
let service: Service;
let dir: string;
/** What the stand-in does with the next requests: fail with these codes first, then answer. */
const script: { failWith: ('ok' | 503 | 504 | 400)[]; requests: number; rows: number } = { failWith: [], requests: 0, rows: 0 };

beforeAll(async () => {
  nc = await connectNats({ servers: [NATS_URL], name: 'batch-spec' }, logger);
  service = await addMicroService(nc, {
    name: ServiceNames.predictor,
    version: '0.0.1',
    description: 'batch spec stand-in predictor',
    metadata: encodePredictorMetadata({
      model: MODEL,
      version: '1',
      platform: 'stand-in',
      inputs: [{ name: 'input', datatype: 'FP32', shape: [-1, 2] }],
      outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [-1, 2] }],
      labels: LABELS,
    }),
  });
  addEndpoint(
    service,
    { name: 'infer-version', subject: Subjects.inferVersion(MODEL, '1'), queue: `q-${MODEL}` },
    async (request) => {
      script.requests++;
      const failure = script.failWith.shift();
      if (failure === 503) throw MspError.unavailable('stand-in is restarting');
      if (failure === 504) throw MspError.deadlineExceeded('stand-in is slow');
      if (failure === 400) throw MspError.badRequest('stand-in refuses this chunk');
      const input = parseInferRequest(request.body).inputs[0];
      const rows = input?.shape[0] ?? 0;
      script.rows += rows;
      const data = input?.data as number[];
      // p(large) = a / (a + b), so each row's answer is easy to predict.
      const probabilities = Array.from({ length: rows }, (_, r) => {
        const a = data[2 * r] ?? 0;
        const b = data[2 * r + 1] ?? 0;
        return [b / (a + b), a / (a + b)];
      }).flat();
      return { model_name: MODEL, model_version: '1', outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [rows, 2], data: probabilities }] };
    },
    logger,
    5_000,
  );
  await nc.flush();
  dir = await mkdtemp(join(tmpdir(), 'msp-batch-int-'));
});

afterAll(async () => {
  await service?.stop();
  await nc?.drain();
  if (dir) await rm(dir, { recursive: true, force: true });
});

function options(name: string, overrides: Partial<BatchOptions> = {}): BatchOptions {
  return {
    model: MODEL,
    input: join(dir, `${name}.ndjson`),
    output: join(dir, `${name}.out.ndjson`),
    errors: undefined,
    format: 'ndjson',
    columns: undefined,
    chunkSize: 4,
    concurrency: 3,
    timeoutMs: 2_000,
    retries: 3,
    overwrite: false,
    progressMs: 10_000,
    natsServers: [NATS_URL],
    jetStreamReplicas: 1,
    logLevel: 'silent',
    predictionLog: { enabled: false, maxDataBytes: 0, maxBuffered: 1 },
    ...overrides,
  };
}

const deps = () => ({ nc, logger, progress: () => undefined, signal: new AbortController().signal, retryBaseMs: 5 });

async function writeInput(name: string, rows: number, bad: number[] = []): Promise<void> {
  const lines = Array.from({ length: rows }, (_, i) =>
    bad.includes(i) ? `{"id": "r${i}", "features": [1]}` : JSON.stringify({ id: `r${i}`, features: [i + 1, 10] }),
  );
  await writeFile(join(dir, `${name}.ndjson`), `${lines.join('\n')}\n`);
}

describe('runBatch over NATS', () => {
  it('scores an NDJSON file in order, retrying 503 and 504, and reports bad rows', async () => {
    await writeInput('retry', 30, [5, 22]);
    Object.assign(script, { failWith: [503, 504, 503], requests: 0, rows: 0 });
    const summary = await runBatch(options('retry'), deps());

    expect(summary).toMatchObject({ totalRows: 30, scored: 28, failed: 2, resumedAt: 0, chunks: 8, interrupted: false });
    expect(summary.failures.map((f) => f.reason)).toEqual([
      'row 5: features has 1 values, the model takes 2',
      'row 22: features has 1 values, the model takes 2',
    ]);
    expect(script.rows).toBe(28);
    const rows = (await readFile(join(dir, 'retry.out.ndjson'), 'utf8'))
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { row: number; id: string; label: string });
    expect(rows.map((r) => r.row)).toEqual([...Array(30).keys()].filter((i) => i !== 5 && i !== 22));
    expect(rows.find((r) => r.row === 0)).toMatchObject({ id: 'r0', label: 'small' });
    expect(rows.find((r) => r.row === 29)).toMatchObject({ id: 'r29', label: 'large' });
    await expect(stat(join(dir, 'retry.out.ndjson.checkpoint.json'))).rejects.toThrow(/ENOENT/);
  });

  it('fails on a refused chunk with the checkpoint intact, then resumes without scoring done chunks again', async () => {
    await writeInput('refused', 20);
    // One chunk at a time: chunks 0 and 1 are scored, chunk 2 is refused (400 is not retried).
    Object.assign(script, { failWith: ['ok', 'ok', 400], requests: 0, rows: 0 });
    const outcome = await runBatch(options('refused', { concurrency: 1 }), deps()).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(outcome).toBeInstanceOf(BatchRunError);
    expect((outcome as Error).message).toBe('chunk 2 (rows 8–11): 400 stand-in refuses this chunk (after 1 attempt)');
    const checkpoint = JSON.parse(await readFile(join(dir, 'refused.out.ndjson.checkpoint.json'), 'utf8')) as { rowsDone: number };
    expect(checkpoint.rowsDone).toBe(8);

    script.rows = 0;
    const summary = await runBatch(options('refused', { concurrency: 1 }), deps());
    expect(summary).toMatchObject({ resumedAt: checkpoint.rowsDone, scored: 20, failed: 0 });
    expect(script.rows).toBe(20 - checkpoint.rowsDone);
    const rows = (await readFile(join(dir, 'refused.out.ndjson'), 'utf8')).trim().split('\n');
    expect(rows.map((line) => (JSON.parse(line) as { row: number }).row)).toEqual([...Array(20).keys()]);
  });

  it('gives up with a clear error when no predictor serves the model', async () => {
    await writeInput('nobody', 3);
    await expect(runBatch(options('nobody', { model: `${MODEL}-none`, retries: 1 }), deps())).rejects.toThrow(
      new BatchRunError(`no predictor serves model '${MODEL}-none' (asked $SRV.INFO.msp-predictor 2 times)`),
    );
  });
});
