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
  /**
   * Where to send; with several (gateway replicas), client i starts on url i mod n and, when one
   * gives no answer at all, sends the same request once to the next — a client that lists both.
   */
  url: string | readonly string[];
  /** The body of every request, or a function making each request's (e.g. distinct inputs). */
  body: unknown;
  headers?: Record<string, string>;
  clients: number;
  durationMs: number;
  /** Reads something from each response body into `Sample.note`. */
  inspect?: (body: string) => string | undefined;
  /** Ends the run early (e.g. when the rollout it loads has finished); durationMs stays the cap. */
  signal?: AbortSignal;
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
  const urls = typeof options.url === 'string' ? [options.url] : options.url;
  const send = async (url: string, body: string): Promise<{ status: number; note?: string }> => {
    const response = await request(url, { method: 'POST', body, headers, dispatcher, headersTimeout: 10_000, bodyTimeout: 10_000 });
    const text = await response.body.text();
    return { status: response.statusCode, note: options.inspect?.(text) };
  };
  const client = async (index: number): Promise<void> => {
    let current = index % urls.length;
    while (performance.now() < end && !options.signal?.aborted) {
      const at = performance.now();
      const body = payload();
      let answer: { status: number; note?: string } = { status: 0 };
      for (let tries = 0; tries < Math.min(urls.length, 2) && answer.status === 0; tries++) {
        try {
          answer = await send(urls[current]!, body);
        } catch {
          // no answer at all: the next URL, if there is one; else counted as a failure (status 0)
          current = (current + 1) % urls.length;
        }
      }
      samples.push({ at: at - started, ms: performance.now() - at, status: answer.status, ...(answer.note !== undefined ? { note: answer.note } : {}) });
    }
  };
  await Promise.all([...Array.from({ length: options.clients }, (_, index) => client(index)), action]);
  await dispatcher.close();
  return samples;
}

/** The q-quantile (0..1) of some latencies, in ms; NaN when there are none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}
