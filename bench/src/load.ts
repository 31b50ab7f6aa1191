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
  /** Also report the requests sent within this span of the measured run (ms from its start), e.g. around a kill. */
  window?: { fromMs: number; toMs: number };
}

export interface LoadResult {
  requests: number;
  errors: number;
  non2xx: number;
  requestsPerSecond: number;
  latencyMs: { p50: number; p90: number; p99: number; max: number; mean: number };
  /** With `successOnly`: how long the non-2xx answers took (p50, p99). */
  rejectedMs?: { p50: number; p99: number };
  /** With `window`: the requests sent within it (all answers, failures included). */
  windowMs?: { requests: number; failed: number; p50: number; p99: number; max: number };
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
  let measureStart = 0;
  const inWindow: { ms: number; ok: boolean }[] = [];
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
        if (options.window && started - measureStart >= options.window.fromMs && started - measureStart < options.window.toMs) {
          inWindow.push({ ms: us / 1000, ok });
        }
      } catch {
        if (measuring) errors += 1;
        if (measuring && options.window) inWindow.push({ ms: performance.now() - started, ok: false });
      }
    }
  };

  try {
    const warmupEnd = performance.now() + options.warmupMs;
    await Promise.all(Array.from({ length: options.concurrency }, () => client(warmupEnd)));
    measuring = true;
    const started = performance.now();
    measureStart = started;
    const end = started + options.durationMs;
    await Promise.all(Array.from({ length: options.concurrency }, () => client(end)));
    const seconds = (performance.now() - started) / 1000;
    const ms = (us: number) => Math.round(us) / 1000;
    return {
      requests,
      errors,
      non2xx,
      requestsPerSecond: Math.round(requests / seconds),
      latencyMs: latencies(histogram),
      ...(options.successOnly
        ? { rejectedMs: { p50: ms(rejected.getValueAtPercentile(50)), p99: ms(rejected.getValueAtPercentile(99)) } }
        : {}),
      ...(options.window ? { windowMs: summarise(inWindow) } : {}),
    };
  } finally {
    histogram.destroy();
    rejected.destroy();
    await pool.close();
  }
}

type Histogram = ReturnType<typeof buildHistogram>;

/** A histogram of microseconds as the milliseconds a result reports. */
function latencies(histogram: Histogram): LoadResult['latencyMs'] {
  const ms = (us: number) => Math.round(us) / 1000;
  return {
    p50: ms(histogram.getValueAtPercentile(50)),
    p90: ms(histogram.getValueAtPercentile(90)),
    p99: ms(histogram.getValueAtPercentile(99)),
    max: ms(histogram.maxValue),
    mean: ms(histogram.mean),
  };
}

function summarise(samples: { ms: number; ok: boolean }[]): NonNullable<LoadResult['windowMs']> {
  const sorted = samples.map((sample) => sample.ms).sort((a, b) => a - b);
  const at = (q: number): number => Math.round((sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN) * 1000) / 1000;
  return { requests: samples.length, failed: samples.filter((sample) => !sample.ok).length, p50: at(0.5), p99: at(0.99), max: at(1) };
}

export interface OpenLoopOptions {
  url: string;
  body: string;
  /** Requests started per second, whatever happens to the earlier ones (arrivals do not wait for answers). */
  ratePerSecond: number;
  durationMs: number;
  warmupMs: number;
  headers?: Record<string, string>;
  /** Connections the generator may open (default 4096: arrivals reach the server at once); a request finding none free waits, and that wait is counted. */
  connections?: number;
  /** `fixed` (default): evenly spaced; `poisson`: exponential gaps of the same mean, as independent users arrive. */
  arrivals?: 'fixed' | 'poisson';
  /** Random numbers in [0, 1) for Poisson gaps (default Math.random; seed it to repeat a run). */
  random?: () => number;
}

export interface OpenLoopResult extends LoadResult {
  offeredPerSecond: number;
  /** Answers by HTTP status (0: no answer). */
  statuses: Record<string, number>;
  /** How long refused answers (429 and 503) took. */
  rejectedMs: { p50: number; p99: number };
}

/**
 * An open-loop load generator: requests arrive on a fixed schedule (like independent users),
 * so a slow or refusing server does not slow the arrivals down, as it does a closed loop whose
 * refused clients retry at once. Latency counts from the scheduled start (no coordinated
 * omission). `requestsPerSecond` is goodput (2xx per second); `latencyMs` is of 2xx answers.
 */
export async function runOpenLoop(options: OpenLoopOptions): Promise<OpenLoopResult> {
  const { origin, pathname, search } = new URL(options.url);
  const pool = new Pool(origin, { connections: options.connections ?? 4096, pipelining: 1 });
  const headers = { 'content-type': 'application/json', ...options.headers };
  const make = () => buildHistogram({ lowestDiscernibleValue: 1, highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: 3 });
  const admitted = make();
  const refused = make();
  const statuses: Record<string, number> = {};
  let measured = 0;
  let ok = 0;
  let okInWindow = 0;
  let errors = 0;
  let measureFrom = 0;
  let end = 0;
  const inFlight = new Set<Promise<void>>();
  const interval = 1000 / options.ratePerSecond;
  const fire = (scheduled: number, measure: boolean): void => {
    const sent = (async () => {
      let status = 0;
      try {
        const response = await pool.request({ method: 'POST', path: pathname + search, headers, body: options.body });
        await response.body.dump();
        status = response.statusCode;
      } catch {
        status = 0;
      }
      if (!measure) return;
      measured += 1;
      statuses[status] = (statuses[status] ?? 0) + 1;
      const us = Math.max(1, Math.round((performance.now() - scheduled) * 1000));
      if (status >= 200 && status < 300) {
        ok += 1;
        const done = performance.now();
        if (done >= measureFrom && done < end) okInWindow += 1;
        admitted.recordValue(us);
      } else if (status === 429 || status === 503) refused.recordValue(us);
      else errors += 1;
    })();
    inFlight.add(sent);
    void sent.finally(() => inFlight.delete(sent));
  };
  try {
    const start = performance.now();
    measureFrom = start + options.warmupMs;
    end = measureFrom + options.durationMs;
    let next = start;
    while (next < end) {
      const now = performance.now();
      while (next <= now && next < end) {
        fire(next, next >= measureFrom);
        next += options.arrivals === 'poisson' ? -Math.log(1 - (options.random ?? Math.random)()) * interval : interval;
      }
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, Math.min(1, next - performance.now()))));
    }
    await Promise.all(inFlight);
    const ms = (us: number) => Math.round(us) / 1000;
    return {
      requests: measured,
      errors,
      non2xx: measured - ok,
      // Goodput: answers that came back within the measured span (a late answer is not capacity).
      requestsPerSecond: Math.round(okInWindow / (options.durationMs / 1000)),
      offeredPerSecond: options.ratePerSecond,
      statuses,
      latencyMs: latencies(admitted),
      rejectedMs: { p50: ms(refused.getValueAtPercentile(50)), p99: ms(refused.getValueAtPercentile(99)) },
    };
  } finally {
    admitted.destroy();
    refused.destroy();
    await pool.close();
  }
}
