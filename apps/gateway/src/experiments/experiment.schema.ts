import { z } from 'zod';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;
const name = (what: string) => z.string().regex(NAME, `expected a ${what} name: letters, digits, '-' and '_'`);

/**
 * A shadow experiment: every request to `model` is mirrored to `shadow` (another model, or a
 * version of the same one) after the primary's request is on its way; the client only sees
 * the primary. The mirror has its own deadline and at most `max_in_flight` mirrors run at once
 * (more are skipped, counted), so a slow or dead shadow holds no primary request and no memory.
 */
export const ShadowExperimentSchema = z.strictObject({
  id: name('experiment'),
  kind: z.literal('shadow'),
  description: z.string().optional(),
  /** The model clients call (the primary). */
  model: name('model'),
  shadow: z.strictObject({ model: name('model'), version: z.string().regex(NAME).optional() }),
  /** The mirror's own deadline, from when it is sent. */
  timeout_ms: z.number().int().min(1).max(60_000).default(1_000),
  max_in_flight: z.number().int().min(1).max(10_000).default(64),
});
export type ShadowExperiment = z.infer<typeof ShadowExperimentSchema>;

/**
 * An online AB experiment: clients call `model` (a name of its own, like a graph's), and each
 * request goes to one variant, by weight, assigned by hashing the experiment id and the
 * request's key — a header or a request parameter (`parameters.<name>`), else the request id —
 * so the same key always sees the same variant, in every gateway replica.
 */
export const AbExperimentSchema = z.strictObject({
  id: name('experiment'),
  kind: z.literal('ab'),
  description: z.string().optional(),
  /** The name clients call; not a model of its own. */
  model: name('model'),
  key: z.union([z.strictObject({ header: z.string().regex(/^[A-Za-z0-9-]+$/, 'expected a header name') }), z.strictObject({ parameter: z.string().min(1).max(64) })]).optional(),
  /** The first variant is the control the others are tested against. */
  variants: z
    .array(z.strictObject({ name: name('variant'), model: name('model'), version: z.string().regex(NAME).optional(), weight: z.number().min(0).max(1_000_000) }))
    .min(2, 'an AB experiment needs at least two variants'),
});
export type AbExperiment = z.infer<typeof AbExperimentSchema>;
export type AbVariant = AbExperiment['variants'][number];

export const ExperimentSchema = z.discriminatedUnion('kind', [ShadowExperimentSchema, AbExperimentSchema]);
export type Experiment = z.infer<typeof ExperimentSchema>;

/**
 * A rollout (metric-gated promotion): moves an AB experiment's traffic from its control (the
 * first variant) to `candidate` step by step — shadow (the candidate only mirrored), then each
 * canary weight in `steps`, then promote (100 %) — advancing only while the candidate stays
 * within `bounds` of the control over each step's window, and rolling back (weight 0,
 * experiment off) as soon as it does not. Started, inspected and aborted under /v1/rollouts.
 */
export const RolloutSchema = z.strictObject({
  id: name('rollout'),
  description: z.string().optional(),
  /** The AB experiment (kind ab) whose weights move. */
  experiment: name('experiment'),
  /** The variant promoted; default: the experiment's second variant. */
  candidate: name('variant').optional(),
  /** Mirror the control's traffic to the candidate first (a step at weight 0). */
  shadow: z.boolean().default(true),
  /** The candidate's canary weights in %, rising. */
  steps: z.array(z.number().gt(0).lt(100)).min(1).max(20).default([5, 25, 50]),
  /** Each step lasts at least this long, and is judged over it. */
  window_s: z.number().min(1).max(86_400).default(60),
  /** ...and needs at least this many requests on each side before it is judged at all. */
  min_samples: z.number().int().min(1).max(1_000_000).default(100),
  /** A step that has not gathered min_samples on each side by then rolls back (too little traffic to judge). */
  max_step_s: z.number().min(1).max(604_800).default(600),
  /**
   * During the canary steps, a request the candidate fails is answered by the control (no client
   * sees the candidate's failure; the judge still counts it). The candidate gets `assigned_share`
   * of the time left to the request's deadline, the control the rest — so a slow or hung
   * candidate can never spend the whole deadline.
   */
  fallback: z
    .strictObject({
      enabled: z.boolean().default(true),
      assigned_share: z.number().min(0.05).max(0.95).default(0.5),
    })
    .prefault({}),
  bounds: z
    .strictObject({
      /** The candidate's error rate may exceed the control's by at most this (absolute share). */
      error_rate: z.number().min(0).max(1).default(0.01),
      /** The candidate's p99 may be at most this many times the control's... */
      latency_p99_ratio: z.number().min(1).max(100).default(1.5),
      /** ...plus this many ms (sub-millisecond p99s jitter by more than any ratio). */
      latency_p99_slack_ms: z.number().min(0).max(60_000).default(20),
      /** Where both sides have `min_outcomes` posted ground truths: the candidate's accuracy may be at most this below the control's. */
      accuracy_drop: z.number().min(0).max(1).default(0.05),
      min_outcomes: z.number().int().min(1).max(1_000_000).default(30),
    })
    .prefault({}),
});
export type Rollout = z.infer<typeof RolloutSchema>;
export type RolloutBounds = Rollout['bounds'];

/** The experiments file (EXPERIMENTS_FILE): lists, so one file holds a deployment's experiments and the rollouts that drive them. */
export const ExperimentsFileSchema = z.strictObject({ experiments: z.array(ExperimentSchema), rollouts: z.array(RolloutSchema).default([]) });
