import { Inject, Injectable, Optional, type OnModuleInit } from '@nestjs/common';
import {
  MspError,
  type InferRequest,
  type InferResponse,
  type ModelMetadata,
  type TensorSpec,
} from '@msp/contracts';
import type { InferContext } from '@msp/oip-server';
import { PredictionLog } from '@msp/prediction-log';
import { LOGGER, Metrics, type Logger } from '@msp/telemetry';
import { ModelRegistry } from '../discovery/model-registry.service.js';
import { NatsBackend } from '../inference/nats.backend.js';
import { PredictorClient } from '../inference/predictor.client.js';
import { PreprocessClient } from '../inference/preprocess.client.js';
import { ParametersService } from '../parameters/parameters.service.js';
import { TimeLagStore, type TimeLagRecord } from '../time-lag/time-lag.store.js';
import { GraphEngine, selectOutputs, type GraphRunResult } from './graph.engine.js';
import type { GraphDefinition, GraphNode } from './graph.schema.js';

/** Nest token of the graph definitions loaded (and validated) at start-up. */
export const GRAPHS = Symbol.for('msp.graphs');

export const GRAPH_PLATFORM = 'msp-graph';

/**
 * Serves every graph as an OIP model: metadata, readiness and inference, with the engine
 * over the gateway's PredictorClient and PreprocessClient. Time-lag graphs answer with the
 * fast step and leave the better step's answer in the TimeLagStore.
 */
@Injectable()
export class GraphService implements OnModuleInit {
  private readonly graphs: ReadonlyMap<string, GraphDefinition>;
  private readonly engine: GraphEngine;

  constructor(
    @Inject(GRAPHS) graphs: readonly GraphDefinition[],
    predictors: PredictorClient,
    preprocess: PreprocessClient,
    private readonly models: NatsBackend,
    private readonly registry: ModelRegistry,
    private readonly lateAnswers: TimeLagStore,
    @Inject(LOGGER) private readonly logger: Logger,
    metrics: Metrics,
    parameters: ParametersService,
    @Optional() @Inject(PredictionLog) log?: PredictionLog,
  ) {
    this.graphs = new Map(graphs.map((graph) => [graph.name, graph]));
    this.engine = new GraphEngine({
      infer: (model, version, request, context) => {
        const answer = predictors.infer(model, version, request, context);
        // Each model step is a prediction of its model too: its monitoring sees what reached it
        // through graphs (e.g. the tensor an uploaded image became, for image drift).
        log?.follow({ requestId: context.requestId, pattern: 'graph', model, version, inputs: request.inputs, graph: context.graph, trace: context.trace }, answer);
        return answer;
      },
      parameter: (graph, name) => parameters.graphNumber(graph, name),
      preprocess: (kind, request, context) => preprocess.preprocess(kind, request, context),
      labelsOf: async (model) => {
        const labels = (await this.models.modelMetadata(model)).parameters?.['labels'];
        return Array.isArray(labels) && labels.every((l) => typeof l === 'string') ? (labels as string[]) : undefined;
      },
      stepDone: (graph, step) => metrics.graphStep(graph, step.node, step.status),
    });
  }

  onModuleInit(): void {
    if (this.graphs.size > 0) this.logger.info({ graphs: [...this.graphs.keys()] }, 'serving graphs as models');
  }

  has(name: string): boolean {
    return this.graphs.has(name);
  }

  names(): string[] {
    return [...this.graphs.keys()];
  }

  private graph(name: string, version?: string): GraphDefinition {
    const graph = this.graphs.get(name);
    if (!graph) throw MspError.notFound(`unknown graph '${name}'`);
    if (version !== undefined && version !== graph.version) {
      throw MspError.notFound(`model '${name}' has no version '${version}' (known versions: ${graph.version})`);
    }
    return graph;
  }

  /**
   * What a graph's answer depends on, as the prediction cache's version: the graph's own version
   * and the version each of its models answers with (`1+iris-mlp@1,iris-trees@2`), so a new
   * version of any step misses. Undefined (never cached): a time-lag graph, whose answer points
   * at a per-request record, or a model with no single live version (a rollout in progress).
   */
  cacheVersion(name: string, version?: string): string | undefined {
    const graph = this.graphs.get(name);
    if (!graph || (version !== undefined && version !== graph.version)) return undefined;
    if (graph.nodes[graph.entry]?.kind === 'time-lag') return undefined;
    const steps = new Set<string>();
    for (const node of Object.values(graph.nodes)) {
      if (node.kind !== 'model') continue;
      const answering = node.version ?? this.registry.liveVersion(node.model);
      if (answering === undefined) return undefined;
      steps.add(`${node.model}@${answering}`);
    }
    return `${graph.version}+${[...steps].sort().join(',')}`;
  }

  async list(): Promise<ModelMetadata[]> {
    return Promise.all([...this.graphs.keys()].map((name) => this.metadata(name)));
  }

  /** OIP metadata: the declared tensors, else the entry model's inputs and the final outputs. */
  async metadata(name: string, version?: string): Promise<ModelMetadata> {
    const graph = this.graph(name, version);
    const entryModel = firstModel(graph, graph.entry);
    const inputs = graph.inputs ?? (entryModel ? ((await this.modelMeta(entryModel))?.inputs ?? []) : []);
    const outputs = graph.outputs ?? (await this.outputsOf(graph, graph.entry));
    return {
      name: graph.name,
      versions: [graph.version],
      platform: GRAPH_PLATFORM,
      inputs,
      outputs,
      parameters: {
        ...(graph.description === undefined ? {} : { description: graph.description }),
        entry: graph.entry,
        kind: graph.nodes[graph.entry]?.kind,
        models: [...new Set(Object.values(graph.nodes).flatMap((node) => (node.kind === 'model' ? [node.model] : [])))].sort(),
      },
    };
  }

  /** Ready when every step it cannot do without has a running predictor (ensembles: `min_answers`). */
  async isReady(name: string, version?: string): Promise<boolean> {
    const graph = this.graph(name, version);
    return this.nodeReady(graph, graph.entry, new Set());
  }

  async infer(name: string, version: string | undefined, request: InferRequest, context: InferContext): Promise<InferResponse> {
    const graph = this.graph(name, version);
    const entry = graph.nodes[graph.entry];
    if (entry?.kind === 'time-lag') return this.timeLag(graph, entry, request, context);
    const run = { requestId: context.requestId, deadline: context.deadline, trace: context.trace, signal: context.signal, header: (name: string) => context.header?.(name) };
    return this.respond(graph, request, await this.engine.run(graph, request.inputs, run));
  }

  private respond(graph: GraphDefinition, request: InferRequest, result: GraphRunResult): InferResponse {
    const response: InferResponse = {
      model_name: graph.name,
      model_version: graph.version,
      outputs: selectOutputs(graph.name, result.outputs, request),
      parameters: { graph: result.trace },
    };
    if (request.id !== undefined) response.id = request.id;
    return response;
  }

  /**
   * Multi-stage: both steps start now; the client gets the fast answer with where to find the
   * better one, which runs on with its own deadline (the client may hang up: it will fetch it).
   */
  private async timeLag(
    graph: GraphDefinition,
    entry: Extract<GraphNode, { kind: 'time-lag' }>,
    request: InferRequest,
    context: InferContext,
  ): Promise<InferResponse> {
    const created = Date.now();
    const id = context.requestId;
    const better = this.engine.run(graph, request.inputs, { requestId: id, deadline: created + entry.better_timeout_ms, trace: context.trace }, entry.better);
    // Observed at once so a failure before the fast answer is never "unhandled".
    const betterOutcome = better.then(
      (result) => ({ ok: true as const, result }),
      (error: unknown) => ({ ok: false as const, error }),
    );
    const fastRun = await this.engine.run(
      graph,
      request.inputs,
      { requestId: id, deadline: context.deadline, trace: context.trace, signal: context.signal, header: (name: string) => context.header?.(name) },
      entry.fast,
    );
    const path = `/v1/time-lag/${encodeURIComponent(id)}`;
    const fast = this.respond(graph, request, fastRun);
    fast.parameters = { ...fast.parameters, time_lag: { id, stage: 'fast', status: 'pending', status_url: path, events_url: `${path}/events` } };
    const record: TimeLagRecord = { id, model: graph.name, status: 'pending', fast, created, ms: { fast: Date.now() - created } };
    await this.lateAnswers.save(record);
    void betterOutcome.then(async (outcome) => {
      const ms = { ...record.ms, better: Date.now() - created };
      const done: TimeLagRecord = outcome.ok
        ? { ...record, status: 'done', ms, better: { ...this.respond(graph, request, outcome.result), parameters: { graph: outcome.result.trace, time_lag: { id, stage: 'better' } } } }
        : { ...record, status: 'failed', ms, error: outcome.error instanceof Error ? outcome.error.message : String(outcome.error) };
      await this.lateAnswers.save(done).catch((error: unknown) => {
        this.logger.warn({ err: error, requestId: id }, 'could not store the better time-lag answer');
      });
    });
    return fast;
  }

  private async modelMeta(model: string): Promise<ModelMetadata | undefined> {
    try {
      return await this.models.modelMetadata(model);
    } catch {
      return undefined;
    }
  }

  private async outputsOf(graph: GraphDefinition, name: string): Promise<TensorSpec[]> {
    const node = graph.nodes[name];
    if (!node) return [];
    switch (node.kind) {
      case 'model':
        return (await this.modelMeta(node.model))?.outputs ?? [];
      case 'preprocess':
        return [];
      case 'respond':
        return [{ name: 'label', datatype: 'BYTES', shape: [-1] }];
      case 'sequence': {
        // A trailing switch without a default may pass its input through: the step before it decides.
        for (let i = node.steps.length - 1; i >= 0; i -= 1) {
          const step = node.steps[i] ?? '';
          const stepNode = graph.nodes[step];
          if (stepNode?.kind === 'switch' && stepNode.default === undefined && i > 0) continue;
          return this.outputsOf(graph, step);
        }
        return [];
      }
      case 'switch':
        return node.default === undefined ? [] : this.outputsOf(graph, node.default);
      case 'time-lag':
        return this.outputsOf(graph, node.fast);
      case 'ensemble': {
        const branches = await Promise.all(node.steps.map((step) => this.outputsOf(graph, step)));
        if (node.merge === 'all') return node.steps.flatMap((step, i) => (branches[i] ?? []).map((t) => ({ ...t, name: `${step}.${t.name}` })));
        const probabilities = branches[0]?.find((t) => t.name === 'probabilities');
        if (node.merge === 'soft-vote') {
          return [
            { name: 'probabilities', datatype: 'FP32', shape: probabilities?.shape ?? [-1, -1] },
            { name: 'label', datatype: 'BYTES', shape: [-1] },
          ];
        }
        return (branches[0] ?? []).filter((t) => t.datatype.startsWith('FP'));
      }
    }
  }

  private async nodeReady(graph: GraphDefinition, name: string, seen: Set<string>): Promise<boolean> {
    const node = graph.nodes[name];
    if (!node || seen.has(name)) return true;
    seen.add(name);
    if (node.on_error === 'skip') return true;
    const self = await this.selfReady(graph, node, seen);
    if (self || typeof node.on_error !== 'object') return self;
    return this.nodeReady(graph, node.on_error.fallback, seen);
  }

  private async selfReady(graph: GraphDefinition, node: GraphNode, seen: Set<string>): Promise<boolean> {
    const ready = (step: string): Promise<boolean> => this.nodeReady(graph, step, new Set(seen));
    switch (node.kind) {
      case 'model':
        return this.models.isModelReady(node.model, node.version).catch(() => false);
      case 'preprocess':
      case 'respond':
        // Preprocess services are not discovered; a missing one answers 503 at request time.
        return true;
      case 'sequence':
        return (await Promise.all(node.steps.map(ready))).every(Boolean);
      case 'switch':
        return (await Promise.all([...node.cases.map((c) => c.node), ...(node.default ? [node.default] : [])].map(ready))).every(Boolean);
      case 'ensemble':
        return (await Promise.all(node.steps.map(ready))).filter(Boolean).length >= (node.min_answers ?? node.steps.length);
      case 'time-lag':
        return ready(node.fast);
    }
  }
}

/** The first model a request reaches from `name` (for the graph's input metadata). */
function firstModel(graph: GraphDefinition, name: string, depth = 0): string | undefined {
  const node = graph.nodes[name];
  if (!node || depth > 64) return undefined;
  switch (node.kind) {
    case 'model':
      return node.model;
    case 'sequence':
    case 'ensemble':
      return firstOf(graph, node.steps, depth);
    case 'switch':
      return firstOf(graph, [...(node.default ? [node.default] : []), ...node.cases.map((c) => c.node)], depth);
    case 'time-lag':
      return firstModel(graph, node.fast, depth + 1);
    default:
      return undefined;
  }
}

function firstOf(graph: GraphDefinition, names: readonly string[], depth: number): string | undefined {
  for (const name of names) {
    const found = firstModel(graph, name, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** A graph answer worth keeping: every step answered (none skipped, failed or cut), no ensemble partial, not a fallback's. */
export function isWholeAnswer(response: InferResponse): boolean {
  const trace = response.parameters?.['graph'] as Partial<GraphRunResult['trace']> | undefined;
  return (
    response.parameters?.['degraded'] !== true &&
    trace?.partial === false &&
    Array.isArray(trace.steps) &&
    trace.steps.every((step) => step.status === 'ok')
  );
}
