import { ErrorCode, MspError, remainingMs, type InferRequest, type InferResponse, type InferTensor } from '@msp/contracts';
import { SpanKind, withSpan, type TraceContext } from '@msp/telemetry';
import { evaluate } from './conditions.js';
import type { GraphDefinition, GraphNode } from './graph.schema.js';
import { MERGES, type BranchAnswer } from './merge.js';

/** What the engine calls; the gateway gives it PredictorClient, PreprocessClient and discovery. */
export interface GraphPorts {
  infer(model: string, version: string | undefined, request: InferRequest, context: StepContext): Promise<InferResponse>;
  preprocess(kind: string, request: InferRequest, context: StepContext): Promise<InferRequest>;
  /** A run-time number a condition names (`parameter`), if set (parameter-based serving). */
  parameter?(graph: string, name: string): number | undefined;
  /** The class labels a model advertises (for soft vote), or undefined. */
  labelsOf(model: string): Promise<readonly string[] | undefined>;
  /** Told of every step as it ends (metrics). */
  stepDone?(graph: string, step: StepRecord): void;
}

export interface StepContext {
  requestId: string;
  deadline: number;
  /** The graph the step belongs to (a model step's prediction log record names it). */
  graph?: string;
  /** The request's trace (the step's span in it), for the step's NATS calls; undefined when off. */
  trace?: TraceContext | undefined;
}

export interface GraphRunContext extends StepContext {
  /** Aborted when the client has gone: no further step starts, the running ones are abandoned. */
  signal?: AbortSignal;
  /** The request's headers, for header conditions (condition-based serving). */
  header?: (name: string) => string | undefined;
}

export type StepStatus = 'ok' | 'skipped' | 'failed' | 'timeout';

export interface StepRecord {
  node: string;
  kind: GraphNode['kind'];
  status: StepStatus;
  ms: number;
  model?: string;
  version?: string;
  /** switch: the node it chose (absent: no case matched and it passed its input through). */
  chose?: string;
  /** ensemble: the branches that answered. */
  answered?: string[];
  error?: string;
}

/** `parameters.graph` of every graph response (docs/graphs.md). */
export interface GraphTrace {
  steps: StepRecord[];
  /** Some ensemble answered with fewer branches than it has. */
  partial: boolean;
  /** The branches of the (last) ensemble that answered. */
  answered?: string[];
  /** A respond node stopped the graph. */
  stopped_by?: string;
  reason?: string;
}

export interface GraphRunResult {
  outputs: InferTensor[];
  trace: GraphTrace;
}

/** Thrown when the client has gone: nobody will read the answer. */
export class ClientGoneError extends MspError {
  constructor() {
    super(ErrorCode.Unavailable, 'the client closed the request');
  }
}

interface Run {
  graph: GraphDefinition;
  request: readonly InferTensor[];
  requestId: string;
  deadline: number;
  signal: AbortSignal | undefined;
  header: ((name: string) => string | undefined) | undefined;
  results: Map<string, InferTensor[]>;
  /** The model version each model step's answer came from. */
  versions: Map<string, string>;
  trace: GraphTrace;
}

const isClientError = (error: unknown): boolean => MspError.is(error) && error.code < 500;

/**
 * Runs one graph for one request: a recursive walk of its nodes. Every step gets the
 * remaining deadline (or its own shorter `timeout_ms`); between steps the engine checks that
 * the deadline has not passed and the client is still there, so no step starts for nobody.
 */
export class GraphEngine {
  constructor(private readonly ports: GraphPorts) {}

  private recordStep(run: Run, step: StepRecord): void {
    run.trace.steps.push(step);
    this.ports.stepDone?.(run.graph.name, step);
  }

  /** Runs `node` (default: the entry) over `inputs`, with a fresh trace. */
  async run(
    graph: GraphDefinition,
    inputs: readonly InferTensor[],
    context: GraphRunContext,
    node: string = graph.entry,
  ): Promise<GraphRunResult> {
    const run: Run = {
      graph,
      request: inputs,
      requestId: context.requestId,
      deadline: context.deadline,
      signal: context.signal,
      header: context.header,
      results: new Map(),
      versions: new Map(),
      trace: { steps: [], partial: false },
    };
    const outputs = await this.exec(node, inputs, run, run.deadline, context.trace);
    return { outputs, trace: run.trace };
  }

  private alive(run: Run): void {
    if (run.signal?.aborted) throw new ClientGoneError();
    if (remainingMs(run.deadline) <= 0) throw this.deadlineMissed(run);
  }

  private deadlineMissed(run: Run): MspError {
    const ran = run.trace.steps.map((step) => `${step.node}:${step.status}`).join(', ') || 'none';
    return MspError.deadlineExceeded(`graph '${run.graph.name}' missed its deadline (steps: ${ran})`);
  }

  private async exec(
    name: string,
    previous: readonly InferTensor[],
    run: Run,
    parentDeadline: number,
    parentTrace: TraceContext | undefined,
  ): Promise<InferTensor[]> {
    this.alive(run);
    const node = run.graph.nodes[name];
    if (!node) throw MspError.internal(`graph '${run.graph.name}' has no node '${name}'`);
    const base = node.input === 'request' ? run.request : previous;
    const inputs = node.rename ? renamed(base, node.rename) : [...base];
    const deadline = node.timeout_ms === undefined ? parentDeadline : Math.min(parentDeadline, Date.now() + node.timeout_ms);
    const leaf = node.kind === 'model' || node.kind === 'preprocess' || node.kind === 'respond';
    const started = performance.now();
    try {
      // A span per step: the step's NATS calls are its children in the request's trace.
      const span = { kind: SpanKind.INTERNAL, parent: parentTrace, attributes: { 'msp.step.kind': node.kind } };
      const outputs = await withSpan(`graph ${run.graph.name} step ${name}`, span, (trace) => this.execKind(name, node, inputs, run, deadline, trace));
      run.results.set(name, outputs);
      if (leaf) this.recordStep(run, record(name, node, 'ok', started, run.versions.get(name)));
      return outputs;
    } catch (error) {
      if (error instanceof ClientGoneError) throw error;
      const status: StepStatus = MspError.is(error) && error.code === ErrorCode.DeadlineExceeded ? 'timeout' : 'failed';
      // A step cut by the graph's own deadline (not a shorter timeout_ms of its own) spent it,
      // whatever a timer's millisecond of jitter leaves on the clock: nothing to skip to.
      const spent = status === 'timeout' && deadline >= run.deadline;
      // No time left, or the client's own mistake: nothing to skip to.
      const recoverable = !isClientError(error) && !spent && remainingMs(run.deadline) > 0 && !run.signal?.aborted;
      const message = error instanceof Error ? error.message : String(error);
      if (recoverable && node.on_error === 'skip') {
        this.recordStep(run, { ...record(name, node, 'skipped', started), error: message });
        return [...previous];
      }
      this.recordStep(run, { ...record(name, node, status, started), error: message });
      if (recoverable && typeof node.on_error === 'object') return this.exec(node.on_error.fallback, previous, run, parentDeadline, parentTrace);
      if (spent && node.on_error !== undefined && node.on_error !== 'fail') throw this.deadlineMissed(run);
      throw error;
    }
  }

  private async execKind(
    name: string,
    node: GraphNode,
    inputs: InferTensor[],
    run: Run,
    deadline: number,
    trace: TraceContext | undefined,
  ): Promise<InferTensor[]> {
    switch (node.kind) {
      case 'model': {
        const response = await this.abortable(
          run,
          this.ports.infer(node.model, node.version, { id: run.requestId, inputs }, { requestId: run.requestId, deadline, trace, graph: run.graph.name }),
        );
        if (response.model_version !== undefined) run.versions.set(name, response.model_version);
        return response.outputs;
      }
      case 'preprocess': {
        const request = await this.abortable(
          run,
          this.ports.preprocess(node.preprocess, { id: run.requestId, inputs }, { requestId: run.requestId, deadline, trace }),
        );
        return request.inputs;
      }
      case 'respond': {
        const rows = inputs[0]?.shape[0] ?? 1;
        run.trace.stopped_by = name;
        run.trace.reason = node.reason;
        return [{ name: 'label', datatype: 'BYTES', shape: [rows], data: new Array<string>(rows).fill(node.label) }];
      }
      case 'sequence': {
        let current: InferTensor[] = inputs;
        for (const step of node.steps) {
          current = await this.exec(step, current, run, deadline, trace);
          if (run.trace.stopped_by !== undefined) break;
        }
        return current;
      }
      case 'switch': {
        const started = performance.now();
        const scope = {
          request: run.request,
          current: inputs,
          results: run.results,
          header: run.header,
          parameter: (parameter: string) => this.ports.parameter?.(run.graph.name, parameter),
        };
        const chosen = node.cases.find((c) => evaluate(c.when, scope))?.node ?? node.default;
        this.recordStep(run, { ...record(name, node, 'ok', started), ...(chosen === undefined ? {} : { chose: chosen }) });
        return chosen === undefined ? inputs : this.exec(chosen, inputs, run, deadline, trace);
      }
      case 'ensemble':
        return this.ensemble(name, node, inputs, run, deadline, trace);
      case 'time-lag':
        // The entry of a time-lag graph is run by GraphService, fast then better.
        return this.exec(node.fast, inputs, run, deadline, trace);
    }
  }

  private async ensemble(
    name: string,
    node: Extract<GraphNode, { kind: 'ensemble' }>,
    inputs: InferTensor[],
    run: Run,
    deadline: number,
    trace: TraceContext | undefined,
  ): Promise<InferTensor[]> {
    const started = performance.now();
    // A branch without its own timeout still leaves a little time to merge the others.
    const margin = Math.min(50, Math.max(0, remainingMs(deadline)) / 10);
    const branchDeadline = deadline - margin;
    const settled = await Promise.allSettled(node.steps.map((step) => this.exec(step, inputs, run, branchDeadline, trace)));
    if (run.signal?.aborted) throw new ClientGoneError();
    const answers: BranchAnswer[] = [];
    const errors: unknown[] = [];
    for (const [i, outcome] of settled.entries()) {
      const step = node.steps[i] ?? '';
      if (outcome.status === 'fulfilled') {
        const branch = run.graph.nodes[step];
        const labels = branch?.kind === 'model' ? await this.ports.labelsOf(branch.model).catch(() => undefined) : undefined;
        answers.push({ node: step, tensors: outcome.value, ...(labels ? { labels } : {}) });
      } else {
        errors.push(outcome.reason);
      }
    }
    const answered = answers.map((answer) => answer.node);
    const needed = node.min_answers ?? node.steps.length;
    if (answers.length < needed) {
      this.recordStep(run, { ...record(name, node, 'failed', started), answered });
      const clientError = errors.find(isClientError);
      if (clientError) throw clientError;
      const allTimedOut = errors.every((e) => MspError.is(e) && e.code === ErrorCode.DeadlineExceeded);
      const message = `ensemble '${name}': ${answers.length} of ${node.steps.length} branches answered, ${needed} needed`;
      throw allTimedOut ? MspError.deadlineExceeded(message) : MspError.unavailable(message);
    }
    const outputs = MERGES[node.merge](answers);
    const partial = answers.length < node.steps.length;
    run.trace.partial ||= partial;
    run.trace.answered = answered;
    this.recordStep(run, { ...record(name, node, 'ok', started), answered });
    return outputs;
  }

  /** Settles with `work`, or rejects at once when the client goes away. */
  private abortable<T>(run: Run, work: Promise<T>): Promise<T> {
    const signal = run.signal;
    if (!signal) return work;
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => reject(new ClientGoneError());
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      work.then(
        (value) => {
          signal.removeEventListener('abort', onAbort);
          resolve(value);
        },
        (error: unknown) => {
          signal.removeEventListener('abort', onAbort);
          reject(error instanceof Error ? error : new Error(String(error)));
        },
      );
    });
  }
}

function record(name: string, node: GraphNode, status: StepStatus, started: number, version?: string): StepRecord {
  const ms = Math.round((performance.now() - started) * 1000) / 1000;
  const entry: StepRecord = { node: name, kind: node.kind, status, ms };
  if (node.kind === 'model') {
    entry.model = node.model;
    const answered = version ?? node.version;
    if (answered !== undefined) entry.version = answered;
  }
  return entry;
}

function renamed(tensors: readonly InferTensor[], map: Readonly<Record<string, string>>): InferTensor[] {
  return tensors.map((t) => (Object.hasOwn(map, t.name) ? { ...t, name: map[t.name] ?? t.name } : t));
}

/** Keeps the outputs a request asked for (all when it names none); an unknown name is a 400. */
export function selectOutputs(graph: string, outputs: InferTensor[], request: InferRequest): InferTensor[] {
  if (!request.outputs || request.outputs.length === 0) return outputs;
  return request.outputs.map(({ name }) => {
    const found = outputs.find((t) => t.name === name);
    if (!found) {
      throw MspError.badRequest(`graph '${graph}' has no output '${name}' (outputs: ${outputs.map((t) => t.name).join(', ')})`);
    }
    return found;
  });
}
