import { Agent, request } from 'undici';

/** One request of a load run: when it started (ms from the run's start), how long it took, its status. */
export interface Sample {
  at: number;
  ms: number;
  status: number;
  /** What `LoadOptions.inspect` read from the response body, e.g. the model version. */
  note?: string;
}

export interface LoadOptions {
  url: string;
  /** The body of every request, or a function making each request's (e.g. distinct inputs). */
  body: unknown;
  headers?: Record<string, string>;
  clients: number;
  durationMs: number;
  /** Reads something from each response body into `Sample.note`. */
  inspect?: (body: string) => string | undefined;
  /** Called once, this many ms into the run (e.g. to kill a replica). */
  during?: { atMs: number; action: () => void | Promise<void> };
}

/**
 * Closed-loop load, as `clients` users who each send the next request when the last one is
 * answered; every request recorded. undici with one keep-alive connection per client.
 */
export async function closedLoop(options: LoadOptions): Promise<Sample[]> {
  const dispatcher = new Agent({ connections: options.clients, pipelining: 1 });
  const fixed = JSON.stringify(options.body);
  const payload = (): string => (typeof options.body === 'function' ? JSON.stringify((options.body as () => unknown)()) : fixed);
  const headers = { 'content-type': 'application/json', ...options.headers };
  const samples: Sample[] = [];
  const started = performance.now();
  const end = started + options.durationMs;
  const action = options.during
    ? new Promise<void>((resolve, reject) => {
        setTimeout(() => void Promise.resolve(options.during?.action()).then(resolve, reject), options.during?.atMs);
      })
    : Promise.resolve();
  const client = async (): Promise<void> => {
    while (performance.now() < end) {
      const at = performance.now();
      let status = 0;
      let note: string | undefined;
      try {
        const response = await request(options.url, { method: 'POST', body: payload(), headers, dispatcher, headersTimeout: 10_000, bodyTimeout: 10_000 });
        const text = await response.body.text();
        status = response.statusCode;
        note = options.inspect?.(text);
      } catch {
        status = 0; // no answer at all: counted as a failure
      }
      samples.push({ at: at - started, ms: performance.now() - at, status, ...(note !== undefined ? { note } : {}) });
    }
  };
  await Promise.all([...Array.from({ length: options.clients }, client), action]);
  await dispatcher.close();
  return samples;
}

/** The q-quantile (0..1) of some latencies, in ms; NaN when there are none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
