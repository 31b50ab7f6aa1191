import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { MODEL_NAMES } from '@msp/contracts';
import type { CheckReport } from './report.js';
import { isRecord } from './yaml-load.js';

/**
 * What each serving pattern's deploy files must contain, beyond the generic checks. A pattern
 * is a Compose profile and a k8s overlay of the same name (k8s/overlays/<pattern>); one without
 * an entry here gets only the generic checks.
 */
export interface PatternExpectation {
  /** A gateway serves clients. */
  gateway?: boolean;
  /** Models with a predictor (MODEL_NAME, or one of MODEL_NAMES) in the pattern. */
  models?: readonly string[];
  /** A predictor serving this model over HTTP itself (HTTP_PORT set): the web-single pattern. */
  httpPredictor?: string;
  /** Redis runs in the pattern (job state, late answers). */
  redis?: boolean;
  /** At least this many asynchronous workers (replicas of the worker's main entry). */
  workers?: number;
  /** The preprocess service runs; in k8s as its own Deployment scaled by its own HPA. */
  preprocess?: boolean;
  /** The prediction cache service (apps/cache) runs. */
  cache?: boolean;
  /** The monitor (apps/monitor: prediction log store, prediction monitoring) runs. */
  monitor?: boolean;
  /** The batch job (worker image, `dist/batch-main.js`) scores with this model. */
  batchModel?: string;
  /**
   * Graphs (`graphs/<name>.yaml`) the pattern serves through the gateway: the gateway must set
   * GRAPHS_DIR, and every model (and preprocess step) a graph uses must be in `models`
   * (`preprocess`) — checked against the graph files by `checkPatternGraphs`.
   */
  graphs?: readonly string[];
}

/**
 * Compose profiles that add tooling beside a pattern rather than being one: no expectations and
 * no k8s overlay (in k8s, Prometheus finds the pods by their `prometheus.io/*` annotations).
 */
export const TOOLING_PROFILES: readonly string[] = ['observability'];

const IRIS_MODELS = ['iris-softmax', 'iris-mlp', 'iris-trees'] as const;
const MNIST_MODELS = ['mnist-mlp', 'mnist-cnn'] as const;

export const PATTERN_EXPECTATIONS: Readonly<Record<string, PatternExpectation>> = {
  // Everything at once: what `pnpm start` and a plain `docker compose up` run.
  all: {
    gateway: true,
    models: MODEL_NAMES,
    redis: true,
    workers: 2,
    preprocess: true,
    cache: true,
    monitor: true,
    graphs: ['mnist-image', 'iris-checked', 'iris-ensemble', 'mnist-time-lag', 'iris-by-condition'],
  },
  synchronous: { gateway: true, models: MODEL_NAMES },
  // The synchronous pattern with multi-model predictors (MODEL_NAMES): iris models in one, mnist in another.
  'multi-model': { gateway: true, models: MODEL_NAMES },
  'web-single': { httpPredictor: 'iris-mlp', models: ['iris-mlp'] },
  asynchronous: { gateway: true, models: MODEL_NAMES, redis: true, workers: 2 },
  batch: { models: ['iris-mlp'], batchModel: 'iris-mlp' },
  'prep-pred': { gateway: true, models: MNIST_MODELS, preprocess: true, graphs: ['mnist-image'] },
  'microservice-vertical': { gateway: true, models: IRIS_MODELS, graphs: ['iris-checked'] },
  // A header or an input feature picks the model (graph iris-by-condition).
  'condition-based': { gateway: true, models: IRIS_MODELS, graphs: ['iris-by-condition'] },
  'microservice-horizontal': { gateway: true, models: IRIS_MODELS, graphs: ['iris-ensemble'] },
  'multi-stage': { gateway: true, models: MNIST_MODELS, redis: true, graphs: ['mnist-time-lag'] },
  'prediction-cache': { gateway: true, models: IRIS_MODELS, redis: true, cache: true },
  // Inputs by item id: the cache service in front of the KV store, the models the items are for.
  'data-cache': { gateway: true, models: ['iris-mlp', 'mnist-cnn'], redis: true, cache: true },
  // Two iris-mlp replicas (failover) and iris-softmax, the configured fallback of iris-mlp.
  'circuit-break': { gateway: true, models: ['iris-mlp', 'iris-softmax'] },
  // A training job (CronJob / one-shot) releases iris-mlp into the registry; a model-load predictor serves it.
  'training-to-serving': { gateway: true, models: ['iris-mlp'] },
  // Beyond one machine: three NATS servers (R3 streams), two gateways, two iris-mlp replicas, two workers.
  cluster: { gateway: true, models: ['iris-mlp', 'iris-softmax'], redis: true, workers: 2 },
  // The primary and its shadow (experiments/shadow-ab.yaml), and the monitor for the experiment's report.
  'shadow-ab': { gateway: true, models: ['iris-mlp', 'iris-softmax'], monitor: true },
  // The variants of experiments/online-ab.yaml, and the monitor for exposures and outcomes.
  'online-ab': { gateway: true, models: ['iris-mlp', 'iris-softmax'], monitor: true },
  // The control and candidate of experiments/promotion.yaml, and the monitor whose reports judge each step.
  promotion: { gateway: true, models: ['iris-mlp', 'iris-softmax'], monitor: true },
};

/** Where the gateway image carries the graph definitions (the Dockerfile copies `graphs/` there). */
export const IMAGE_GRAPHS_DIR = '/app/graphs';

/** What one graph definition needs running: the models of its `model` nodes, and preprocessing. */
export interface GraphNeeds {
  models: string[];
  preprocess: boolean;
}

/** Reads `graphs/<name>.yaml` and lists the models and preprocess steps its nodes use. */
export function graphNeeds(root: string, graph: string): GraphNeeds {
  const file = join(root, 'graphs', `${graph}.yaml`);
  if (!existsSync(file)) throw new Error(`graphs/${graph}.yaml does not exist`);
  const document: unknown = parse(readFileSync(file, 'utf8'));
  const nodes = isRecord(document) && isRecord(document['nodes']) ? Object.values(document['nodes']).filter(isRecord) : [];
  return {
    models: [...new Set(nodes.filter((node) => node['kind'] === 'model').map((node) => String(node['model'])))].sort(),
    preprocess: nodes.some((node) => node['kind'] === 'preprocess'),
  };
}

/** Each pattern's graphs exist and use only models (and preprocessing) the pattern deploys. */
export function checkPatternGraphs(
  root: string,
  report: CheckReport,
  expectations: Readonly<Record<string, PatternExpectation>> = PATTERN_EXPECTATIONS,
): void {
  for (const [pattern, expected] of Object.entries(expectations)) {
    for (const graph of expected.graphs ?? []) {
      const where = `tools/deploy-check/src/patterns.ts ${pattern}`;
      let needs: GraphNeeds;
      try {
        needs = graphNeeds(root, graph);
      } catch (error) {
        report.problem(where, error instanceof Error ? error.message : String(error));
        continue;
      }
      const missing = needs.models.filter((model) => !(expected.models ?? []).includes(model));
      if (missing.length > 0) report.problem(where, `graph ${graph} uses ${missing.join(', ')}, which the pattern does not deploy`);
      if (needs.preprocess && !expected.preprocess) report.problem(where, `graph ${graph} has a preprocess step, but the pattern has no preprocess service`);
      if (missing.length === 0 && (!needs.preprocess || expected.preprocess)) {
        report.ok(`${pattern}: graph ${graph} needs ${[...needs.models, ...(needs.preprocess ? ['preprocess'] : [])].join(', ')}, all deployed`);
      }
    }
  }
}
