import { inject } from 'vitest';

export interface E2eTarget {
  gatewayUrl: string;
  /** Empty when the targeted deployment has no web-single predictor. */
  webSingleUrl: string;
  /** The NATS the local topology uses; empty for a remote target. */
  natsUrl: string;
  /** True when the suite started the services itself and may kill or add some. */
  local: boolean;
  /** The compose command (with project and file) of a `docker compose up` target, else empty. */
  compose: string;
  /** The docker client that goes with `compose`. */
  docker: string;
  /** The OTLP receiver the services export spans to (`GET <url>/spans`); empty when none (E2E_OTLP_URL for a remote target). */
  otlpUrl: string;
  /** A Prometheus scraping the target with the committed config (E2E_PROMETHEUS_URL; the compose run starts one); else empty. */
  prometheusUrl: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    e2e: E2eTarget;
  }
}

export function target(): E2eTarget {
  return inject('e2e');
}
