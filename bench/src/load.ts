import { build as buildHistogram } from 'hdr-histogram-js';
import { Pool } from 'undici';

export interface LoadOptions {
  url: string;
  body: string;
  concurrency: number;
  durationMs: number;
  /** Requests before measuring: connection set-up, JIT, caches. */
  warmupMs: number;
  headers?: Record<string, string>;
  /** A new body per request (e.g. distinct inputs, so a cache misses), instead of `body`. */
  nextBody?: () => string;
  /** Only 2xx answers enter the histogram; the others are counted (and timed in `rejectedMs`). */
  successOnly?: boolean;
}

export interface LoadResult {
  requests: number;
  errors: number;
  non2xx: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** With `successOnly`: how long the non-2xx answers took (p50, p99). */
  rejectedMs?: { p50: number; p99: number };
}

/**
 * A closed-loop load generator: `concurrency` clients, each sending its next request as soon
 * as the last one answers, over keep-alive connections. Latency is recorded in microseconds
 * (autocannon's histogram has 1 ms resolution, too coarse for sub-millisecond hops).
 */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const { origin, pathname, search } = new URL(options.url);
  const path = pathname + search;
  const pool = new Pool(origin, { connections: options.concurrency, pipelining: 1 });
  const headers = { 'content-type': 'application/json', ...options.headers };
  const histogram = buildHistogram({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  let measuring = false;
  let requests = 0;
  let errors = 0;
  let non2xx = 0;
  const rejected = buildHistogram({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });

  const client = async (stopAt: number): Promise<void> => {
    while (performance.now() < stopAt) {
      const started = performance.now();
      try {
        const response = await pool.request({ method: 'POST', path, headers, body: options.nextBody?.() ?? options.body });
        await response.body.dump();
        if (!measuring) continue;
        requests += 1;
        const us = Math.max(1, Math.round((performance.now() - started) * 1000));
        const ok = response.statusCode >= 200 && response.statusCode < 300;
        if (!ok) non2xx += 1;
        if (ok || !options.successOnly) histogram.recordValue(us);
        else rejected.recordValue(us);
      } catch {
        if (measuring) errors += 1;
      }
    }
  };

  try {
    const warmupEnd = performance.now() + options.warmupMs;
    await Promise.all(Array.from({ length: options.concurrency }, () => client(warmupEnd)));
    measuring = true;
    const started = performance.now();
    const end = started + options.durationMs;
    await Promise.all(Array.from({ length: options.concurrency }, () => client(end)));
    const seconds = (performance.now() - started) / 1000;
    const ms = (us: number) => Math.round(us) / 1000;
    return {
      requests,
      errors,
      non2xx,
      requestsPerSecond: Math.round(requests / seconds),
      latencyMs: {
        p50: ms(histogram.getValueAtPercentile(50)),
        p90: ms(histogram.getValueAtPercentile(90)),
        p99: ms(histogram.getValueAtPercentile(99)),
        max: ms(histogram.maxValue),
        mean: ms(histogram.mean),
      },
      ...(options.successOnly
        ? { rejectedMs: { p50: ms(rejected.getValueAtPercentile(50)), p99: ms(rejected.getValueAtPercentile(99)) } }
        : {}),
    };
  } finally {
    histogram.destroy();
    rejected.destroy();
    await pool.close();
  }
}
