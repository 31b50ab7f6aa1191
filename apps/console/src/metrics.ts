const INFER_ROUTE = '/v2/models/:model/infer';

/** Per model, from the gateway's Prometheus metrics: answered requests and their summed seconds. */
export interface Counters {
  count: number;
  sum: number;
}

/** The gateway's `msp_request_duration_seconds` for its infer route, per model (all status codes). */
export function parseInferCounters(metrics: string): Map<string, Counters> {
  const counters = new Map<string, Counters>();
  for (const line of metrics.split('\n')) {
    const match = /^msp_request_duration_seconds_(sum|count)\{([^}]*)\} ([0-9.e+-]+)$/.exec(line);
    if (!match) continue;
    const labels = Object.fromEntries([...match[2]!.matchAll(/(\w+)="([^"]*)"/g)].map((pair) => [pair[1], pair[2]]));
    if (labels['route'] !== INFER_ROUTE || !labels['model']) continue;
    const entry = counters.get(labels['model']) ?? { count: 0, sum: 0 };
    entry[match[1] as 'sum' | 'count'] += Number(match[3]);
    counters.set(labels['model'], entry);
  }
  return counters;
}
