import os from 'node:os';
import { join } from 'node:path';
import { build as buildHistogram } from 'hdr-histogram-js';
import { ensureInfra, ensureModels, repoRoot, startTopology } from '@msp/topology';
import { runLoad, type LoadResult } from './load.js';
import { printTable, writeResults, type BenchRow } from './report.js';

/**
 * `node bench/dist/graphs.bench.js`: the composition patterns (graphs served by the gateway)
 * next to the single models they are made of, at each concurrency:
 * - microservice-vertical `iris-checked` vs `iris-mlp` alone (the chain's cost),
 * - microservice-horizontal `iris-ensemble` vs `iris-mlp` alone (the parallel fan-out's cost),
 * - multi-stage `mnist-time-lag`: the fast answer (vs `mnist-cnn` alone) and the time until the
 *   better answer is pushed on the SSE stream (one request at a time),
 * - `mnist-image` (preprocess → mnist-cnn) when a preprocess service serves it.
 * Env: BENCH_DURATION_MS (default 5000), BENCH_CONCURRENCY (default "1,16").
 */
const durationMs = Number(process.env['BENCH_DURATION_MS'] ?? 5000);
const warmupMs = Math.min(1000, durationMs / 5);
const concurrencies = (process.env['BENCH_CONCURRENCY'] ?? '1,16').split(',').map(Number);

const iris = JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [5.1, 3.5, 1.4, 0.2] }] });
const pixels = new Array<number>(784).fill(0);
for (let r = 4; r < 24; r += 1) pixels[r * 28 + 13] = pixels[r * 28 + 14] = 1;
const digit = JSON.stringify({ inputs: [{ name: 'input', datatype: 'FP32', shape: [1, 28, 28], data: pixels }] });

/** A 28×28 PNG of the same stroke, encoded by hand (zlib only), for mnist-image. */
async function strokePng(): Promise<string> {
  const { deflateSync, crc32 } = await import('node:zlib');
  const chunk = (type: string, data: Buffer): Buffer => {
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const out = Buffer.alloc(12 + data.length);
    out.writeUInt32BE(data.length, 0);
    body.copy(out, 4);
    out.writeUInt32BE(crc32(body), 8 + data.length);
    return out;
  };
  const header = Buffer.alloc(13);
  header.writeUInt32BE(28, 0);
  header.writeUInt32BE(28, 4);
  header.set([8, 0, 0, 0, 0], 8); // 8-bit grey
  const raw = Buffer.alloc(28 * 29);
  for (let r = 0; r < 28; r += 1) for (let c = 0; c < 28; c += 1) raw[r * 29 + 1 + c] = (pixels[r * 28 + c] ?? 0) > 0 ? 255 : 0;
  const png = Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(raw)),
    chunk('IEND', Buffer.alloc(0)),
  ]);
  return png.toString('base64');
}

/** Time from POST to the `better` event on the SSE stream, one request at a time. */
async function timeLagBetter(gateway: string, ms: number): Promise<LoadResult> {
  const histogram = buildHistogram({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  let requests = 0;
  let errors = 0;
  const end = performance.now() + ms;
  const started = performance.now();
  try {
    while (performance.now() < end) {
      const t0 = performance.now();
      try {
        const reply = await fetch(`${gateway}/v2/models/mnist-time-lag/infer`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: digit,
          signal: AbortSignal.timeout(10_000),
        });
        const body = (await reply.json()) as { parameters?: { time_lag?: { events_url?: string } } };
        const events = body.parameters?.time_lag?.events_url;
        if (!reply.ok || !events) throw new Error(`status ${reply.status}`);
        const stream = await fetch(`${gateway}${events}`, { signal: AbortSignal.timeout(30_000) });
        if (!stream.body) throw new Error('no stream');
        const decoder = new TextDecoder();
        let text = '';
        for await (const part of stream.body) {
          text += decoder.decode(part as Uint8Array, { stream: true });
          if (text.includes('event: better')) break;
        }
        if (!text.includes('event: better')) throw new Error('no better event');
        histogram.recordValue(Math.max(1, Math.round((performance.now() - t0) * 1000)));
        requests += 1;
      } catch {
        errors += 1;
      }
    }
    const at = (p: number) => Math.round(histogram.getValueAtPercentile(p)) / 1000;
    return {
      requests,
      errors,
      non2xx: 0,
      requestsPerSecond: Math.round(requests / ((performance.now() - started) / 1000)),
      latencyMs: { p50: at(50), p90: at(90), p99: at(99), max: Math.round(histogram.maxValue) / 1000, mean: Math.round(histogram.mean) / 1000 },
    };
  } finally {
    histogram.destroy();
  }
}

async function main(): Promise<void> {
  const modelsExit = await ensureModels();
  if (modelsExit !== 0) throw new Error(`training the missing models failed (exit ${modelsExit})`);
  const infra = await ensureInfra();
  // `all`: the synchronous services plus a preprocess service (for mnist-image); the
  // web-single predictor sits idle.
  const topology = await startTopology('all', { ports: { gateway: 0, webSingle: 0 }, output: false });
  const gateway = topology.urls.gateway ?? '';
  const rows: BenchRow[] = [];
  const run = async (pattern: string, model: string, body: string, concurrency: number): Promise<void> => {
    process.stdout.write(`${pattern} (${model}) at concurrency ${concurrency} for ${durationMs} ms… `);
    const result = await runLoad({ url: `${gateway}/v2/models/${model}/infer`, body, concurrency, durationMs, warmupMs });
    console.log(`${result.requestsPerSecond} req/s, p50 ${result.latencyMs.p50} ms`);
    rows.push({ pattern, model, concurrency, result });
  };
  try {
    let image: string | undefined;
    const ready = await fetch(`${gateway}/v2/models/mnist-image/ready`, { signal: AbortSignal.timeout(5000) }).catch(() => undefined);
    if (ready?.status === 200) {
      image = JSON.stringify({ inputs: [{ name: 'image', datatype: 'BYTES', shape: [1], data: [await strokePng()] }] });
      const probe = await fetch(`${gateway}/v2/models/mnist-image/infer`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: image, signal: AbortSignal.timeout(10_000) });
      if (!probe.ok) {
        console.log(`mnist-image answered ${probe.status} to a base64 PNG: row skipped`);
        image = undefined;
      }
    } else {
      console.log('mnist-image is not served here (no preprocess service): row skipped');
    }
    // Every route once before measuring any, so the first row does not pay the JIT warm-up.
    const targets: [string, string][] = [
      ['iris-mlp', iris],
      ['iris-checked', iris],
      ['iris-ensemble', iris],
      ['mnist-cnn', digit],
      ['mnist-time-lag', digit],
      ...(image ? [['mnist-image', image] as [string, string]] : []),
    ];
    for (const [model, body] of targets) {
      await runLoad({ url: `${gateway}/v2/models/${model}/infer`, body, concurrency: 4, durationMs: 500, warmupMs: 0 });
    }
    console.log(`load average before measuring: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    for (const concurrency of concurrencies) {
      await run('synchronous', 'iris-mlp', iris, concurrency);
      await run('microservice-vertical', 'iris-checked', iris, concurrency);
      await run('microservice-horizontal', 'iris-ensemble', iris, concurrency);
      await run('synchronous', 'mnist-cnn', digit, concurrency);
      await run('time-lag fast', 'mnist-time-lag', digit, concurrency);
      if (image) await run('prep-pred graph', 'mnist-image', image, concurrency);
    }
    process.stdout.write(`time-lag better (POST → SSE better event), one at a time for ${durationMs} ms… `);
    const better = await timeLagBetter(gateway, durationMs);
    console.log(`p50 ${better.latencyMs.p50} ms`);
    rows.push({ pattern: 'time-lag better', model: 'mnist-time-lag', concurrency: 1, result: better });
  } finally {
    await topology.stop();
    await infra.stop();
  }
  console.log();
  printTable(rows);
  const path = await writeResults(join(repoRoot(), 'bench', 'results'), 'graphs', { durationMs, warmupMs, loadAverage: os.loadavg(), rows });
  console.log(`\nresults: ${path}`);
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
