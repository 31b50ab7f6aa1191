export interface DiscoveryOptions {
  /** How often the registry asks every predictor what it serves. */
  intervalMs: number;
  /** How long one discovery round collects answers. */
  waitMs: number;
  /** An unknown model triggers a round at most this often. */
  onDemandMinIntervalMs: number;
  /** A version is forgotten after this many rounds in a row without an instance. */
  missesToForget: number;
}

export const DISCOVERY_OPTIONS = Symbol.for('msp.gateway.discovery-options');

export const DISCOVERY_DEFAULTS: Omit<DiscoveryOptions, 'intervalMs'> = {
  waitMs: 250,
  onDemandMinIntervalMs: 500,
  missesToForget: 2,
};
