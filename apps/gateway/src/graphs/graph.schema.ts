import { z } from 'zod';
import { TensorSpecSchema } from '@msp/contracts';

/**
 * Inference graphs as data (docs/graphs.md): one YAML/JSON file per graph, a map of named
 * nodes and an entry node. Node kinds follow KServe's InferenceGraph (sequence, switch,
 * ensemble) plus leaves (model, preprocess, respond) and the multi-stage `time-lag` entry.
 */

/** Graph and node names: safe in URLs, logs and NATS subject tokens. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const name = (what: string) => z.string().regex(NAME, `${what} must match ${String(NAME)}`);

const OnErrorSchema = z.union([
  z.literal('fail'),
  z.literal('skip'),
  z.strictObject({ fallback: name('a fallback node name') }),
]);
export type OnError = z.infer<typeof OnErrorSchema>;

const numberOrPerFeature = z.union([z.number(), z.array(z.number()).min(1)]);

/** A condition on one tensor of the graph's request (`input`) or of a step's output (`output`). */
const TensorConditionSchema = z
  .strictObject({
    /** A tensor of the graph's request. */
    input: z.string().min(1).optional(),
    /** A tensor of an earlier step's output (`step`), else of the switch's own input. */
    output: z.string().min(1).optional(),
    step: name('step').optional(),
    /** One column of each row; without it (and without `reduce`) every element of a row is tested. */
    feature: z.number().int().nonnegative().optional(),
    /** Reduce each row to one number first (e.g. the top probability). */
    reduce: z.enum(['max', 'min']).optional(),
    op: z.enum(['gt', 'ge', 'lt', 'le', 'eq', 'ne', 'outside', 'nan', 'in', 'not_in']),
    /** For gt … ne. */
    value: z.number().optional(),
    /** Read the number from the run-time parameter `graphs.<graph>.<parameter>` when it is set (KV, live), else `value`. */
    parameter: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]*$/, 'expected a parameter name').optional(),
    /** For `outside` (NaN is always outside): one bound for all columns, or one per column. */
    min: numberOrPerFeature.optional(),
    max: numberOrPerFeature.optional(),
    /** For `in` / `not_in` (BYTES, e.g. labels). */
    values: z.array(z.union([z.string(), z.number(), z.boolean()])).min(1).optional(),
    /** The condition holds when any row (default) or every row matches. */
    rows: z.enum(['any', 'all']).default('any'),
  })
  .superRefine((c, ctx) => {
    if ((c.input === undefined) === (c.output === undefined)) {
      ctx.addIssue({ code: 'custom', message: 'a condition names exactly one of `input` or `output`' });
    }
    if (c.step !== undefined && c.output === undefined) {
      ctx.addIssue({ code: 'custom', path: ['step'], message: '`step` goes with `output`' });
    }
    if (['gt', 'ge', 'lt', 'le', 'eq', 'ne'].includes(c.op) && c.value === undefined) {
      ctx.addIssue({ code: 'custom', path: ['value'], message: `op '${c.op}' needs a numeric \`value\`` });
    }
    if (c.op === 'outside' && c.min === undefined && c.max === undefined) {
      ctx.addIssue({ code: 'custom', path: ['min'], message: "op 'outside' needs `min` and/or `max`" });
    }
    if ((c.op === 'in' || c.op === 'not_in') && c.values === undefined) {
      ctx.addIssue({ code: 'custom', path: ['values'], message: `op '${c.op}' needs \`values\`` });
    }
    if (c.feature !== undefined && c.reduce !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['reduce'], message: 'use `feature` or `reduce`, not both' });
    }
  });
export type TensorCondition = z.infer<typeof TensorConditionSchema>;

/**
 * A condition on a request header (condition-based serving: e.g. a region or device header picks
 * the model). Header names are matched lower-case; a missing header is `absent` and equals nothing.
 */
const HeaderConditionSchema = z
  .strictObject({
    header: z.string().regex(/^[A-Za-z0-9-]+$/, 'expected a header name').transform((header) => header.toLowerCase()),
    op: z.enum(['eq', 'ne', 'in', 'not_in', 'present', 'absent']),
    /** For eq / ne. */
    value: z.string().optional(),
    /** For in / not_in. */
    values: z.array(z.string()).min(1).optional(),
  })
  .superRefine((c, ctx) => {
    if ((c.op === 'eq' || c.op === 'ne') && c.value === undefined) ctx.addIssue({ code: 'custom', path: ['value'], message: `op '${c.op}' needs a string \`value\`` });
    if ((c.op === 'in' || c.op === 'not_in') && c.values === undefined) ctx.addIssue({ code: 'custom', path: ['values'], message: `op '${c.op}' needs \`values\`` });
  });
export type HeaderCondition = z.infer<typeof HeaderConditionSchema>;

export type Condition = TensorCondition | HeaderCondition | { any_of: Condition[] } | { all_of: Condition[] };
const ConditionSchema: z.ZodType<Condition, unknown> = z.lazy(() =>
  z.union([
    HeaderConditionSchema,
    TensorConditionSchema,
    z.strictObject({ any_of: z.array(ConditionSchema).min(1) }),
    z.strictObject({ all_of: z.array(ConditionSchema).min(1) }),
  ]),
);

/** Fields every node may have. */
const common = {
  description: z.string().optional(),
  /** This step's own budget; never longer than what remains of the request's deadline. */
  timeout_ms: z.number().int().positive().max(600_000).optional(),
  on_error: OnErrorSchema.default('fail'),
  /** What the node takes: the previous step's output (default) or the graph's original request. */
  input: z.enum(['previous', 'request']).default('previous'),
  /** Renames tensors before the node sees them: `{<tensor name>: <name the node expects>}`. */
  rename: z.record(z.string().min(1), z.string().min(1)).optional(),
};

const ModelNodeSchema = z.strictObject({
  ...common,
  kind: z.literal('model'),
  model: name('model'),
  version: z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/).optional(),
});

const PreprocessNodeSchema = z.strictObject({
  ...common,
  kind: z.literal('preprocess'),
  /** The preprocess kind (`msp.prep.<kind>`), e.g. `mnist`. */
  preprocess: name('preprocess'),
});

const SequenceNodeSchema = z.strictObject({
  ...common,
  kind: z.literal('sequence'),
  steps: z.array(name('step')).min(1),
});

const SwitchNodeSchema = z.strictObject({
  ...common,
  kind: z.literal('switch'),
  /** First match wins. */
  cases: z.array(z.strictObject({ when: ConditionSchema, node: name('node') })).min(1),
  /** Taken when no case matches; without it the switch passes its input through. */
  default: name('node').optional(),
});

const EnsembleNodeSchema = z.strictObject({
  ...common,
  kind: z.literal('ensemble'),
  steps: z.array(name('step')).min(2),
  merge: z.enum(['soft-vote', 'average', 'all']),
  /** Fewer answering branches fail the node; more, but not all, make a partial answer. Default: all. */
  min_answers: z.number().int().positive().optional(),
});

const RespondNodeSchema = z.strictObject({
  ...common,
  kind: z.literal('respond'),
  /** Stops the graph: every row gets this label (output `label`, BYTES [N]). */
  label: z.string().min(1),
  reason: z.string().min(1),
});

const TimeLagNodeSchema = z.strictObject({
  ...common,
  kind: z.literal('time-lag'),
  /** Answered at once. */
  fast: name('fast'),
  /** Runs in the background; its answer is stored and pushed (docs/patterns/multi-stage.md). */
  better: name('better'),
  /** The better step's own deadline, from the moment the request arrived. */
  better_timeout_ms: z.number().int().positive().max(600_000).default(30_000),
});

export const GraphNodeSchema = z.discriminatedUnion('kind', [
  ModelNodeSchema,
  PreprocessNodeSchema,
  SequenceNodeSchema,
  SwitchNodeSchema,
  EnsembleNodeSchema,
  RespondNodeSchema,
  TimeLagNodeSchema,
]);
export type GraphNode = z.infer<typeof GraphNodeSchema>;
export type NodeKind = GraphNode['kind'];

export const GraphDefinitionSchema = z.strictObject({
  name: name('graph name'),
  version: z.string().regex(/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/).default('1'),
  description: z.string().optional(),
  entry: name('entry'),
  /** Declared tensors for the metadata route; derived from the entry / last model when absent. */
  inputs: z.array(TensorSpecSchema).optional(),
  outputs: z.array(TensorSpecSchema).optional(),
  nodes: z.record(name('node name'), GraphNodeSchema),
});
export type GraphDefinition = z.infer<typeof GraphDefinitionSchema>;

/** Names of the nodes a node refers to, with where in the node the reference is. */
export function referencesOf(node: GraphNode): { path: (string | number)[]; target: string }[] {
  const refs: { path: (string | number)[]; target: string }[] = [];
  if (typeof node.on_error === 'object') refs.push({ path: ['on_error', 'fallback'], target: node.on_error.fallback });
  switch (node.kind) {
    case 'sequence':
    case 'ensemble':
      node.steps.forEach((target, i) => refs.push({ path: ['steps', i], target }));
      break;
    case 'switch':
      node.cases.forEach((c, i) => refs.push({ path: ['cases', i, 'node'], target: c.node }));
      if (node.default !== undefined) refs.push({ path: ['default'], target: node.default });
      break;
    case 'time-lag':
      refs.push({ path: ['fast'], target: node.fast }, { path: ['better'], target: node.better });
      break;
    default:
      break;
  }
  return refs;
}
