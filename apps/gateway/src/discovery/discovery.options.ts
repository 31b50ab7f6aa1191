export interface DiscoveryOptions {
  /** How often the registry asks every predictor what it serves. */
  intervalMs: number;
  /** How long one discovery round collects answers. */
  waitMs: number;
  /** An unknown model triggers a round at most this often. */
  onDemandMinIntervalMs: number;
  /** A model's last version is forgotten after this many rounds in a row without an instance. */
  missesToForget: number;
  /** A version is forgotten after this many rounds without an instance while another version serves (a rollout). */
  missesToForgetVersion: number;
  /**
   * A replica is no longer picked after this many rounds in a row without its answer. One late
   * answer on a busy host must not take a healthy replica out; a replica that has gone answers
   * "no responders" at once and is dropped then (ReplicaBalancer).
   */
  missesToDropReplica: number;
}

export const DISCOVERY_OPTIONS = Symbol.for('msp.gateway.discovery-options');

/**
 * How long a model version whose instances all went away is remembered, by default
 * (MODEL_FORGET_MS). Meanwhile a request
 * for it gets 503 ("no predictor reachable", which clients retry) rather than 404 ("no such
 * model", which they do not): a lone replica restarting, rescheduled or OOM-killed is a
 * temporary outage, not a deleted model.
 */
export const FORGET_AFTER_MS = 5 * 60_000;

/** Rounds without an instance before a version is forgotten, for a discovery interval. */
export function missesToForget(intervalMs: number, forgetAfterMs = FORGET_AFTER_MS): number {
  return Math.max(2, Math.ceil(forgetAfterMs / Math.max(1, intervalMs)));
}

export const DISCOVERY_DEFAULTS: Omit<DiscoveryOptions, 'intervalMs'> = {
  waitMs: 250,
  onDemandMinIntervalMs: 500,
  missesToForget: 2,
  missesToForgetVersion: 2,
  missesToDropReplica: 2,
};
