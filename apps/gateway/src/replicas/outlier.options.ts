/**
 * How the gateway spreads a model's requests over its replicas and stops sending work to one
 * that does not answer (outlier ejection, as Envoy does it); from the gateway's env.
 */
export interface OutlierOptions {
  /**
   * `least-outstanding`: the gateway picks the replica (fewest requests in flight) and sends to
   * its own subject, ejecting replicas that stop answering. `queue-group`: every request to the
   * model's queue group, NATS picking at random (no ejection: a wedged replica keeps its share).
   */
  balancing: 'least-outstanding' | 'queue-group';
  /** An attempt unanswered this long counts against its replica (it may still answer: a slow one is not cut off). */
  attemptTimeoutMs: number;
  /** Attempts in a row that count against a replica before it is ejected. */
  consecutiveTimeouts: number;
  /** The shortest ejection; each ejection soon after the last one lasts this much longer, up to maxEjectionMs. */
  baseEjectionMs: number;
  maxEjectionMs: number;
  /** The share of a subject's replicas that may be ejected at once; one of two or more always may. */
  maxEjectionPercent: number;
}

export const OUTLIER_OPTIONS = Symbol.for('msp.gateway.outlier-options');
