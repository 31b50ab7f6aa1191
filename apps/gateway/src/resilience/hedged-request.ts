import { ErrorCode, MspError, remainingMs } from '@msp/contracts';

export interface HedgeOptions {
  /** The shortest wait before a second request (ms): below it, noise on a busy host would trigger hedges. */
  minDelayMs: number;
  /** The longest wait before a second request (ms): a vanished replica costs at most this much. */
  maxDelayMs: number;
  /** Hedges allowed per request, on average (0.1 = at most 10 % extra load), plus a small burst. */
  budgetRatio: number;
}

/** Latencies remembered to place the hedge delay (the last N successful answers). */
const WINDOW = 256;
/** Hedges that may fire at once after a quiet spell: enough for every request a killed replica held. */
const BURST = 32;

/**
 * Failover for idempotent request-reply over a queue group: when the first request has no
 * answer after a short adaptive wait (≈ the recent p95 × 2, clamped), the same request is sent
 * again, and again after twice the wait, until the deadline — NATS hands each to a replica at
 * random, and a replica that vanished (SIGKILL: its subscriptions gone with its socket) is no
 * longer among them. The first answer wins. A token
 * budget earned by every request keeps hedges to `budgetRatio` of traffic, so a slow model
 * cannot make the gateway double its load. Deterministic failures (4xx) are never hedged; a
 * try refused by a busy replica (429) does not fail a request whose other try is still running.
 */
export class Hedger {
  private readonly latencies = new Float64Array(WINDOW);
  private count = 0;
  private tokens = BURST;
  private cachedDelay: number;
  private sinceDelay = 0;

  constructor(private readonly options: HedgeOptions) {
    this.cachedDelay = options.maxDelayMs;
  }

  /** The current wait before a hedge, in ms. */
  get delayMs(): number {
    // Recomputed every 32 answers: sorting 256 numbers per request would cost more than it saves.
    if (this.sinceDelay >= 32 || this.count === 0) {
      this.sinceDelay = 0;
      const n = Math.min(this.count, WINDOW);
      if (n >= 16) {
        const sorted = this.latencies.slice(0, n).sort();
        const p95 = sorted[Math.floor(n * 0.95)] ?? this.options.maxDelayMs;
        this.cachedDelay = Math.min(this.options.maxDelayMs, Math.max(this.options.minDelayMs, p95 * 2));
      }
    }
    return this.cachedDelay;
  }

  async run<T>(attempt: () => Promise<T>, deadline: number): Promise<T> {
    this.tokens = Math.min(BURST, this.tokens + this.options.budgetRatio);
    const started = performance.now();
    const delay = this.delayMs;
    // No time for a second try to help: one request, as before.
    if (remainingMs(deadline) <= delay * 1.5) return attempt();
    return new Promise<T>((resolve, reject) => {
      let pending = 0;
      let settled = false;
      let timer: NodeJS.Timeout | undefined;
      // Each further try waits twice as long as the one before: a try sent just before its replica
      // died is followed by one that NATS can only route to a replica still there.
      const schedule = (wait: number): void => {
        if (remainingMs(deadline) <= wait) return;
        timer = setTimeout(() => {
          if (settled || this.tokens < 1) return;
          this.tokens -= 1;
          start(false);
          schedule(wait * 2);
        }, wait);
      };
      const start = (primary: boolean): void => {
        pending += 1;
        attempt().then(
          (value) => {
            pending -= 1;
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            if (primary) this.record(performance.now() - started);
            resolve(value);
          },
          (error: unknown) => {
            pending -= 1;
            // A wrong request fails everywhere; an outage of one replica is what the others are for.
            if (settled || (isTransient(error) && pending > 0)) return;
            settled = true;
            clearTimeout(timer);
            reject(error);
          },
        );
      };
      start(true);
      schedule(delay);
    });
  }

  private record(ms: number): void {
    this.latencies[this.count % WINDOW] = ms;
    this.count += 1;
    this.sinceDelay += 1;
  }
}

/** Worth waiting for the other try: the replica failed or was busy (429), not the request wrong. */
function isTransient(error: unknown): boolean {
  return !MspError.is(error) || error.code >= ErrorCode.Internal || error.code === ErrorCode.TooManyRequests;
}
