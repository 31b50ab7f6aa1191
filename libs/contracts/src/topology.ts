/** One running NATS micro service instance, as `GET /v1/topology` shows it (the web console reads it). */
export interface TopologyInstance {
  service: string;
  id: string;
  version: string;
  /** For a predictor: the model and version it serves. */
  model?: string;
  modelVersion?: string;
  started?: string;
  endpoints: { name: string; subject: string; requests: number; errors: number }[];
}

export interface Topology {
  /** When the gateway asked (epoch ms): rates are differences between two of these. */
  at: number;
  instances: TopologyInstance[];
}
