import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { GraphDefinitionError, loadGraphDir, parseGraph } from './graph.loader.js';

const ensemble = `
name: iris-ensemble
entry: vote
nodes:
  vote: { kind: ensemble, merge: soft-vote, steps: [a, b], min_answers: 1 }
  a: { kind: model, model: iris-mlp, timeout_ms: 300 }
  b: { kind: model, model: iris-trees, on_error: skip }
`;

function problemsOf(text: string): string[] {
  try {
    parseGraph(text, 'g.yaml');
  } catch (error) {
    expect(error).toBeInstanceOf(GraphDefinitionError);
    return (error as GraphDefinitionError).problems;
  }
  throw new Error('expected the graph to be refused');
}

describe('parseGraph', () => {
  it('accepts a valid graph and fills the defaults', () => {
    const graph = parseGraph(ensemble, 'g.yaml');
    expect(graph.version).toBe('1');
    expect(graph.nodes['a']).toMatchObject({ kind: 'model', on_error: 'fail', input: 'previous' });
    expect(graph.nodes['b']).toMatchObject({ on_error: 'skip' });
  });

  it('names the file, the path and what is wrong', () => {
    const text = ensemble.replace('soft-vote', 'majority');
    expect(() => parseGraph(text, 'graphs/x.yaml')).toThrow(/graphs\/x\.yaml[\s\S]*nodes\.vote\.merge/);
  });

  it('refuses unknown fields, unknown kinds and bad timeouts', () => {
    expect(problemsOf(ensemble.replace('min_answers: 1', 'min_answer: 1'))[0]).toMatch(/^nodes\.vote: .*min_answer/);
    expect(problemsOf(ensemble.replace('kind: model, model: iris-mlp', 'kind: lambda, model: iris-mlp'))[0]).toMatch(/^nodes\.a\.kind/);
    expect(problemsOf(ensemble.replace('timeout_ms: 300', 'timeout_ms: -5'))[0]).toMatch(/^nodes\.a\.timeout_ms/);
  });

  it('refuses references to missing nodes, a missing entry and cycles', () => {
    expect(problemsOf(ensemble.replace('steps: [a, b]', 'steps: [a, c]'))).toEqual(["nodes.vote.steps[1]: no node 'c'"]);
    expect(problemsOf(ensemble.replace('entry: vote', 'entry: start'))[0]).toMatch(/^entry: no node 'start'/);
    const cyclic = `
name: g
entry: s
nodes:
  s: { kind: sequence, steps: [t] }
  t: { kind: sequence, steps: [s] }
`;
    expect(problemsOf(cyclic)[0]).toMatch(/cycle/);
  });

  it('checks min_answers against the steps, and where time-lag may stand', () => {
    expect(problemsOf(ensemble.replace('min_answers: 1', 'min_answers: 3'))[0]).toMatch(/min_answers: 3 is more than the 2 steps/);
    const nested = `
name: g
entry: s
nodes:
  s: { kind: sequence, steps: [t] }
  t: { kind: time-lag, fast: a, better: b }
  a: { kind: model, model: m1 }
  b: { kind: model, model: m2 }
`;
    expect(problemsOf(nested)[0]).toMatch(/time-lag node can only be the entry/);
  });

  it('checks conditions: one tensor source, the operands an op needs', () => {
    const withCase = (when: string) => `
name: g
entry: s
nodes:
  s: { kind: switch, cases: [{ when: ${when}, node: r }] }
  r: { kind: respond, label: no, reason: because }
`;
    expect(() => parseGraph(withCase('{ input: x, op: gt, value: 1 }'), 'g')).not.toThrow();
    expect(problemsOf(withCase('{ input: x, op: gt }')).join()).toMatch(/value/);
    expect(problemsOf(withCase('{ input: x, output: y, op: nan }')).join()).toMatch(/exactly one of/);
    expect(problemsOf(withCase('{ output: y, step: nope, op: nan }')).join()).toMatch(/no step 'nope'/);
  });

  it('reports YAML syntax errors and duplicate keys', () => {
    expect(problemsOf('name: [unclosed')[0]).toMatch(/^YAML:/);
    expect(problemsOf('name: a\nname: b\nentry: x\nnodes: {}')[0]).toMatch(/^YAML:.*[Uu]nique|^YAML:.*duplicate/i);
  });
});

describe('loadGraphDir', () => {
  it('loads every graph file, treats a missing directory as none, and refuses duplicates', () => {
    const dir = mkdtempSync(join(tmpdir(), 'msp-graphs-'));
    try {
      expect(loadGraphDir(join(dir, 'missing'))).toEqual([]);
      writeFileSync(join(dir, 'a.yaml'), ensemble);
      writeFileSync(join(dir, 'notes.txt'), 'not a graph');
      expect(loadGraphDir(dir).map((g) => g.name)).toEqual(['iris-ensemble']);
      writeFileSync(join(dir, 'b.json'), JSON.stringify({ name: 'iris-ensemble', entry: 'm', nodes: { m: { kind: 'model', model: 'x' } } }));
      expect(() => loadGraphDir(dir)).toThrow(/b\.json[\s\S]*already defined in .*a\.yaml/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('accepts the graphs shipped in graphs/', () => {
    const names = loadGraphDir(join(import.meta.dirname, '../../../../graphs')).map((g) => g.name);
    expect(names).toEqual(expect.arrayContaining(['iris-ensemble', 'iris-checked', 'mnist-time-lag', 'mnist-image']));
  });
});
