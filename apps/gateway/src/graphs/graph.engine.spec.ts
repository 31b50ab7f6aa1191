import { describe, expect, it } from 'vitest';
import { MspError, type InferRequest, type InferResponse, type InferTensor } from '@msp/contracts';
import { ClientGoneError, GraphEngine, selectOutputs, type GraphPorts, type StepContext } from './graph.engine.js';
import { parseGraph } from './graph.loader.js';

const LABELS = ['setosa', 'versicolor', 'virginica'];
const row = (data: number[]): InferTensor[] => [{ name: 'input', datatype: 'FP32', shape: [1, data.length], data }];

type Behaviour = number[] | { delayMs: number; probabilities?: number[] } | { fail: MspError };

/** Models as plain functions: probabilities per model, a delay, or an error. */
function ports(models: Record<string, Behaviour>, calls: string[] = []): GraphPorts {
  return {
    infer: async (model: string, _version: string | undefined, request: InferRequest, context: StepContext): Promise<InferResponse> => {
      calls.push(model);
      const behaviour = models[model];
      if (!behaviour) throw MspError.unavailable(`no responders for ${model}`);
      if ('fail' in behaviour) throw behaviour.fail;
      let probabilities: number[] = Array.isArray(behaviour) ? behaviour : (behaviour.probabilities ?? [1, 0, 0]);
      if (!Array.isArray(behaviour)) {
        const wait = Math.min(behaviour.delayMs, context.deadline - Date.now());
        await new Promise((resolve) => setTimeout(resolve, Math.max(0, wait)));
        if (wait < behaviour.delayMs) throw MspError.deadlineExceeded(`${model} timed out`);
      }
      const rows = request.inputs[0]?.shape[0] ?? 1;
      probabilities = Array.from({ length: rows }, () => probabilities).flat();
      return {
        model_name: model,
        model_version: '7',
        outputs: [{ name: 'probabilities', datatype: 'FP32', shape: [rows, 3], data: probabilities }],
      };
    },
    preprocess: async (kind, request) => ({ inputs: request.inputs.map((t) => ({ ...t, name: `${kind}-out` })) }),
    labelsOf: async () => LABELS,
  };
}

const context = (ms = 2000, signal?: AbortSignal) => ({ requestId: 'r1', deadline: Date.now() + ms, ...(signal ? { signal } : {}) });

const ensembleYaml = (timeout = 100, minAnswers = 1) => `
name: ens
entry: vote
nodes:
  vote: { kind: ensemble, merge: soft-vote, steps: [a, b, c], min_answers: ${minAnswers} }
  a: { kind: model, model: ma, timeout_ms: ${timeout} }
  b: { kind: model, model: mb, timeout_ms: ${timeout} }
  c: { kind: model, model: mc, timeout_ms: ${timeout} }
`;

describe('GraphEngine steps', () => {
  it('tells the stepDone port of every step as it ends (metrics)', async () => {
    const seen: string[] = [];
    const engine = new GraphEngine({
      ...ports({ ma: [0.6, 0.3, 0.1], mb: [0.2, 0.7, 0.1], mc: [0.1, 0.6, 0.3] }),
      stepDone: (graph, step) => seen.push(`${graph}/${step.node}:${step.status}`),
    });
    const { trace } = await engine.run(parseGraph(ensembleYaml(), 'g'), row([1, 2, 3, 4]), context());
    expect(seen.sort()).toEqual(trace.steps.map((step) => `ens/${step.node}:${step.status}`).sort());
    expect(seen).toContain('ens/vote:ok');
  });
});

describe('GraphEngine ensemble', () => {
  it('soft-votes: averages the probabilities and labels the argmax', async () => {
    const engine = new GraphEngine(ports({ ma: [0.6, 0.3, 0.1], mb: [0.2, 0.7, 0.1], mc: [0.1, 0.6, 0.3] }));
    const { outputs, trace } = await engine.run(parseGraph(ensembleYaml(), 'g'), row([1, 2, 3, 4]), context());
    const probabilities = outputs.find((t) => t.name === 'probabilities')?.data as number[];
    expect(probabilities.map((p) => Number(p.toFixed(4)))).toEqual([0.3, 0.5333, 0.1667]);
    expect(outputs.find((t) => t.name === 'label')?.data).toEqual(['versicolor']);
    expect(trace.partial).toBe(false);
    expect(trace.answered).toEqual(['a', 'b', 'c']);
    expect(trace.steps.filter((s) => s.kind === 'model').map((s) => [s.node, s.status, s.version])).toEqual([
      ['a', 'ok', '7'],
      ['b', 'ok', '7'],
      ['c', 'ok', '7'],
    ]);
  });

  it('answers partially, within the branch timeout, when a branch is slow or down', async () => {
    const engine = new GraphEngine(ports({ ma: [0.6, 0.3, 0.1], mb: { delayMs: 1000 } }));
    const started = Date.now();
    const { outputs, trace } = await engine.run(parseGraph(ensembleYaml(100), 'g'), row([1, 2, 3, 4]), context());
    expect(Date.now() - started).toBeLessThan(500);
    expect(outputs.find((t) => t.name === 'label')?.data).toEqual(['setosa']);
    expect(trace.partial).toBe(true);
    expect(trace.answered).toEqual(['a']);
    expect(trace.steps.find((s) => s.node === 'b')?.status).toBe('timeout');
    expect(trace.steps.find((s) => s.node === 'c')?.status).toBe('failed');
  });

  it('fails when fewer than min_answers answer: 503, or 504 when all timed out', async () => {
    const graph = parseGraph(ensembleYaml(50, 2), 'g');
    await expect(new GraphEngine(ports({ ma: [1, 0, 0] })).run(graph, row([1]), context())).rejects.toMatchObject({ code: 503 });
    const slow = { delayMs: 500 };
    await expect(new GraphEngine(ports({ ma: slow, mb: slow, mc: slow })).run(graph, row([1]), context())).rejects.toMatchObject({ code: 504 });
  });

  it('passes a client error (400) through instead of skipping it', async () => {
    const bad = { fail: MspError.badRequest("input 'input' has shape [1,5]") };
    const engine = new GraphEngine(ports({ ma: bad, mb: bad, mc: bad }));
    await expect(engine.run(parseGraph(ensembleYaml(), 'g'), row([1]), context())).rejects.toMatchObject({ code: 400 });
  });
});

const checkedYaml = `
name: checked
entry: chain
nodes:
  chain: { kind: sequence, steps: [check, classify, confidence] }
  check:
    kind: switch
    cases:
      - when: { input: input, op: outside, min: 0, max: [23.7, 13.2, 20.7, 7.5] }
        node: reject
  reject: { kind: respond, label: rejected, reason: out of range }
  classify: { kind: model, model: mlp }
  confidence:
    kind: switch
    cases:
      - when: { output: probabilities, step: classify, reduce: max, op: lt, value: 0.8 }
        node: second
  second: { kind: model, model: other, input: request }
`;

describe('GraphEngine sequence and switch', () => {
  it('runs the chain in order, and a confident answer stops at the classifier', async () => {
    const calls: string[] = [];
    const engine = new GraphEngine(ports({ mlp: [0.9, 0.05, 0.05], other: [0, 1, 0] }, calls));
    const { outputs, trace } = await engine.run(parseGraph(checkedYaml, 'g'), row([5.1, 3.5, 1.4, 0.2]), context());
    expect(calls).toEqual(['mlp']);
    expect(outputs[0]?.data).toEqual([0.9, 0.05, 0.05]);
    expect(trace.steps.map((s) => s.node)).toEqual(['check', 'classify', 'confidence']);
    expect(trace.steps.find((s) => s.node === 'confidence')?.chose).toBeUndefined();
  });

  it('takes the second opinion, on the original request, when the classifier is unsure', async () => {
    const calls: string[] = [];
    const engine = new GraphEngine(ports({ mlp: [0.5, 0.4, 0.1], other: [0, 1, 0] }, calls));
    const { outputs, trace } = await engine.run(parseGraph(checkedYaml, 'g'), row([5.1, 3.5, 1.4, 0.2]), context());
    expect(calls).toEqual(['mlp', 'other']);
    expect(outputs[0]?.data).toEqual([0, 1, 0]);
    expect(trace.steps.find((s) => s.node === 'confidence')?.chose).toBe('second');
  });

  it('stops the chain with the respond node: no model runs', async () => {
    const calls: string[] = [];
    const engine = new GraphEngine(ports({ mlp: [1, 0, 0] }, calls));
    for (const features of [[-1, 3, 1, 0.2], [5, 3, 100, 0.2]]) {
      const { outputs, trace } = await engine.run(parseGraph(checkedYaml, 'g'), row(features), context());
      expect(outputs).toEqual([{ name: 'label', datatype: 'BYTES', shape: [1], data: ['rejected'] }]);
      expect(trace).toMatchObject({ stopped_by: 'reject', reason: 'out of range' });
    }
    expect(calls).toEqual([]);
  });

  it('skips or falls back on a failed step, as the node says', async () => {
    const yaml = `
name: g
entry: s
nodes:
  s: { kind: sequence, steps: [prep, m] }
  prep: { kind: preprocess, preprocess: norm }
  m: { kind: model, model: down, on_error: { fallback: backup } }
  backup: { kind: model, model: up }
`;
    const { trace } = await new GraphEngine(ports({ up: [1, 0, 0] })).run(parseGraph(yaml, 'g'), row([1]), context());
    expect(trace.steps.map((s) => [s.node, s.status])).toEqual([
      ['prep', 'ok'],
      ['m', 'failed'],
      ['backup', 'ok'],
    ]);
    const skipping = yaml.replace('on_error: { fallback: backup }', 'on_error: skip');
    const skipped = await new GraphEngine(ports({})).run(parseGraph(skipping, 'g'), row([1]), context());
    expect(skipped.outputs[0]?.name).toBe('norm-out');
    expect(skipped.trace.steps[1]).toMatchObject({ node: 'm', status: 'skipped' });
  });

  it('starts no further step once the client has gone', async () => {
    const calls: string[] = [];
    const yaml = `
name: g
entry: s
nodes:
  s: { kind: sequence, steps: [a, b] }
  a: { kind: model, model: slow }
  b: { kind: model, model: fast }
`;
    const controller = new AbortController();
    const engine = new GraphEngine(ports({ slow: { delayMs: 200 }, fast: [1, 0, 0] }, calls));
    const running = engine.run(parseGraph(yaml, 'g'), row([1]), context(2000, controller.signal));
    setTimeout(() => controller.abort(), 20);
    await expect(running).rejects.toBeInstanceOf(ClientGoneError);
    await new Promise((resolve) => setTimeout(resolve, 250));
    expect(calls).toEqual(['slow']);
  });

  it('answers 504 naming the steps when the deadline passes between steps', async () => {
    const yaml = `
name: g
entry: s
nodes:
  s: { kind: sequence, steps: [a, b] }
  a: { kind: model, model: slow, on_error: skip }
  b: { kind: model, model: fast }
`;
    const engine = new GraphEngine(ports({ slow: { delayMs: 500 }, fast: [1, 0, 0] }));
    await expect(engine.run(parseGraph(yaml, 'g'), row([1]), context(100))).rejects.toMatchObject({ code: 504 });
  });
});

describe('selectOutputs', () => {
  const outputs: InferTensor[] = [{ name: 'label', datatype: 'BYTES', shape: [1], data: ['x'] }];
  it('keeps what was asked for and refuses unknown names', () => {
    expect(selectOutputs('g', outputs, { inputs: [] })).toBe(outputs);
    expect(selectOutputs('g', outputs, { inputs: [], outputs: [{ name: 'label' }] })).toEqual(outputs);
    expect(() => selectOutputs('g', outputs, { inputs: [], outputs: [{ name: 'nope' }] })).toThrow(/no output 'nope'/);
  });
});
