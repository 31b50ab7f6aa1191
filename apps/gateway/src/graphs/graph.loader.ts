import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import {
  GraphDefinitionSchema,
  referencesOf,
  type Condition,
  type GraphDefinition,
  type GraphNode,
} from './graph.schema.js';

/** A definition file (graphs, experiments) that cannot be served: names the file, the path in it and what is wrong. */
export abstract class DefinitionFileError extends Error {
  constructor(
    what: string,
    readonly file: string,
    readonly problems: string[],
  ) {
    super(`invalid ${what} ${file}:\n  ${problems.join('\n  ')}`);
  }
}

export class GraphDefinitionError extends DefinitionFileError {
  override readonly name = 'GraphDefinitionError';

  constructor(file: string, problems: string[]) {
    super('graph definition', file, problems);
  }
}

const GRAPH_FILE = /\.(ya?ml|json)$/i;

/**
 * Loads every `*.yaml|*.yml|*.json` in `dir` (sorted, so errors are reproducible). A missing
 * directory means no graphs; any bad file, or two graphs of one name, refuses them all.
 */
export function loadGraphDir(dir: string): GraphDefinition[] {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new GraphDefinitionError(dir, ['GRAPHS_DIR is not a directory']);
    names = readdirSync(dir).filter((file) => GRAPH_FILE.test(file)).sort();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const graphs: GraphDefinition[] = [];
  const seen = new Map<string, string>();
  for (const file of names) {
    const path = join(dir, file);
    const graph = parseGraph(readFileSync(path, 'utf8'), path);
    const other = seen.get(graph.name);
    if (other) throw new GraphDefinitionError(path, [`name: graph '${graph.name}' is already defined in ${other}`]);
    seen.set(graph.name, path);
    graphs.push(graph);
  }
  return graphs;
}

/** Parses and validates one graph file's text (YAML, of which JSON is a subset). */
export function parseGraph(text: string, file: string): GraphDefinition {
  const yaml = readYaml(text);
  if ('problems' in yaml) throw new GraphDefinitionError(file, yaml.problems);
  const parsed = GraphDefinitionSchema.safeParse(yaml.data);
  if (!parsed.success) throw new GraphDefinitionError(file, formatIssues(parsed.error.issues));
  const problems = checkStructure(parsed.data);
  if (problems.length > 0) throw new GraphDefinitionError(file, problems);
  return parsed.data;
}

/** A YAML (or JSON) text as data, or what is wrong with it: syntax, duplicate keys, alias bombs. */
export function readYaml(text: string): { data: unknown } | { problems: string[] } {
  const document = parseDocument(text, { prettyErrors: true, uniqueKeys: true });
  if (document.errors.length > 0) return { problems: document.errors.map((error) => `YAML: ${error.message.split('\n')[0] ?? ''}`) };
  try {
    // yaml throws (not reports) an alias without its anchor, and an alias bomb past maxAliasCount.
    return { data: document.toJS({ maxAliasCount: 100 }) };
  } catch (error) {
    return { problems: [`YAML: ${error instanceof Error ? error.message.split('\n')[0] : String(error)}`] };
  }
}

function formatPath(path: readonly PropertyKey[]): string {
  if (path.length === 0) return '(top level)';
  return path.map((part, i) => (typeof part === 'number' ? `[${part}]` : `${i === 0 ? '' : '.'}${String(part)}`)).join('');
}

export function formatIssues(issues: readonly z.core.$ZodIssue[]): string[] {
  return issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
}

/** What the schema cannot see: references, cycles, where a node kind may stand. */
export function checkStructure(graph: GraphDefinition): string[] {
  const problems: string[] = [];
  const nodes = graph.nodes;
  if (!Object.hasOwn(nodes, graph.entry)) {
    problems.push(`entry: no node '${graph.entry}' (nodes: ${Object.keys(nodes).join(', ') || 'none'})`);
  }
  for (const [nodeName, node] of Object.entries(nodes)) {
    for (const ref of referencesOf(node)) {
      if (!Object.hasOwn(nodes, ref.target)) {
        problems.push(`${formatPath(['nodes', nodeName, ...ref.path])}: no node '${ref.target}'`);
      } else if (nodes[ref.target]?.kind === 'time-lag') {
        problems.push(`${formatPath(['nodes', nodeName, ...ref.path])}: a time-lag node can only be the entry`);
      }
      if (ref.target === nodeName) problems.push(`${formatPath(['nodes', nodeName, ...ref.path])}: a node cannot refer to itself`);
    }
    if (node.kind === 'ensemble' && node.min_answers !== undefined && node.min_answers > node.steps.length) {
      problems.push(`${formatPath(['nodes', nodeName, 'min_answers'])}: ${node.min_answers} is more than the ${node.steps.length} steps`);
    }
    if (node.kind === 'switch') {
      node.cases.forEach((c, i) => {
        for (const step of conditionSteps(c.when)) {
          if (!Object.hasOwn(nodes, step)) problems.push(`${formatPath(['nodes', nodeName, 'cases', i, 'when'])}: no step '${step}'`);
        }
      });
    }
  }
  if (problems.length === 0) {
    const cycle = findCycle(nodes);
    if (cycle) problems.push(`nodes: a cycle ${cycle.join(' → ')}`);
  }
  return problems;
}

function conditionSteps(condition: Condition): string[] {
  if ('any_of' in condition) return condition.any_of.flatMap(conditionSteps);
  if ('all_of' in condition) return condition.all_of.flatMap(conditionSteps);
  if ('header' in condition) return [];
  return condition.step === undefined ? [] : [condition.step];
}

function findCycle(nodes: Record<string, GraphNode>): string[] | undefined {
  const state = new Map<string, 'visiting' | 'done'>();
  const stack: string[] = [];
  const visit = (nodeName: string): string[] | undefined => {
    const mark = state.get(nodeName);
    if (mark === 'done') return undefined;
    if (mark === 'visiting') return [...stack.slice(stack.indexOf(nodeName)), nodeName];
    state.set(nodeName, 'visiting');
    stack.push(nodeName);
    const node = nodes[nodeName];
    for (const ref of node ? referencesOf(node) : []) {
      const cycle = visit(ref.target);
      if (cycle) return cycle;
    }
    stack.pop();
    state.set(nodeName, 'done');
    return undefined;
  };
  for (const nodeName of Object.keys(nodes)) {
    const cycle = visit(nodeName);
    if (cycle) return cycle;
  }
  return undefined;
}
