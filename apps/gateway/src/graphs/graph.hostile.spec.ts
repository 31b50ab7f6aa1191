import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import { GraphDefinitionError, parseGraph } from './graph.loader.js';

/**
 * Hostile graph files: whatever text is in GRAPHS_DIR, the loader returns a valid graph or a
 * GraphDefinitionError naming the file, never another exception (the gateway would refuse to
 * start without saying why). Fixed seed, bounded runs.
 */
const runs = { seed: 20_261_130, numRuns: 300 };

function graphOrDefinitionError(text: string): void {
  try {
    parseGraph(text, 'fuzz.yaml');
  } catch (error) {
    if (!(error instanceof GraphDefinitionError)) throw error;
    expect(error.message).toContain('fuzz.yaml');
  }
}

const nodeKinds = fc.constantFrom('model', 'sequence', 'switch', 'ensemble', 'preprocess', 'respond', 'time-lag', 'other');
const node = fc.record(
  {
    kind: nodeKinds,
    model: fc.string({ maxLength: 8 }),
    steps: fc.array(fc.constantFrom('a', 'b', 'c', 'missing'), { maxLength: 4 }),
    cases: fc.array(fc.record({ when: fc.jsonValue({ maxDepth: 2 }), node: fc.constantFrom('a', 'b') }), { maxLength: 2 }),
    fast: fc.constantFrom('a', 'b'),
    better: fc.constantFrom('a', 'b', 'c'),
    timeout_ms: fc.oneof(fc.integer(), fc.double(), fc.string({ maxLength: 4 })),
  },
  { requiredKeys: ['kind'] },
);
const graphShaped = fc.record(
  {
    name: fc.oneof(fc.constant('g'), fc.string({ maxLength: 10 })),
    version: fc.oneof(fc.constant('1'), fc.integer()),
    entry: fc.constantFrom('a', 'b', 'c', 'nowhere'),
    nodes: fc.dictionary(fc.constantFrom('a', 'b', 'c'), node, { maxKeys: 3 }),
  },
  { requiredKeys: ['nodes'] },
);

describe('hostile graph files', () => {
  it('any text is a graph or a GraphDefinitionError naming the file', () => {
    fc.assert(fc.property(fc.string({ maxLength: 400 }), graphOrDefinitionError), runs);
  });

  it('graph-shaped nonsense (unknown kinds, dangling references, cycles, bad numbers) is a GraphDefinitionError', () => {
    fc.assert(fc.property(graphShaped, (graph) => graphOrDefinitionError(stringify(graph))), runs);
  });

  it('refuses a YAML alias bomb quickly instead of expanding it', () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 1; i < 12; i += 1) {
      const previous = String.fromCharCode(96 + i);
      const name = String.fromCharCode(97 + i);
      levels.push(`${name}: &${name} [${Array.from({ length: 10 }, () => `*${previous}`).join(',')}]`);
    }
    const started = performance.now();
    expect(() => parseGraph(levels.join('\n'), 'bomb.yaml')).toThrow(GraphDefinitionError);
    expect(performance.now() - started).toBeLessThan(5_000);
  });
});
