import { z } from 'zod';

/**
 * Metric-gated promotion: each rollout's record in the registry — the JetStream KV bucket
 * `msp-rollouts` (key = rollout id), rewritten at every step; the key's history keeps the
 * earlier records.
 */
export const Rollouts = {
  bucket: 'msp-rollouts',
  /** Revisions kept per rollout. */
  history: 64,
} as const;

export const ROLLOUT_STATES = ['running', 'promoted', 'rolled_back', 'aborted'] as const;
export type RolloutState = (typeof ROLLOUT_STATES)[number];

/** One side's live figures over a step's window, as the judge saw them. */
export const ArmFiguresSchema = z.object({
  /** Requests (answered or failed) in the window. */
  requests: z.number().int().nonnegative(),
  errors: z.number().int().nonnegative(),
  error_rate: z.number().min(0).max(1),
  /** Over the answered requests; absent with none. */
  p99_ms: z.number().optional(),
  /** Requests with ground truth posted, and the share right; absent with none. */
  outcomes: z.number().int().nonnegative(),
  accuracy: z.number().min(0).max(1).optional(),
});
export type ArmFigures = z.infer<typeof ArmFiguresSchema>;

/** One step of a rollout: shadow (weight 0, mirrored), a canary weight, or the promotion; how it ended and the numbers why. */
export const RolloutStepSchema = z.object({
  stage: z.enum(['shadow', 'canary', 'promote']),
  /** The candidate's share of live traffic in %, during the step. */
  weight: z.number().min(0).max(100),
  started_at: z.number(),
  ended_at: z.number().optional(),
  /** advanced: within bounds for the whole window; rolled_back: out of bounds, too few samples, or aborted; promoted: the last step. */
  outcome: z.enum(['advanced', 'rolled_back', 'promoted']).optional(),
  reasons: z.array(z.string()).default([]),
  control: ArmFiguresSchema.optional(),
  candidate: ArmFiguresSchema.optional(),
});
export type RolloutStep = z.infer<typeof RolloutStepSchema>;

export const RolloutRecordSchema = z.object({
  id: z.string(),
  /** The AB experiment whose weights the rollout moves, its control and its candidate variant. */
  experiment: z.string(),
  control: z.object({ variant: z.string(), model: z.string(), version: z.string().optional() }),
  candidate: z.object({ variant: z.string(), model: z.string(), version: z.string().optional() }),
  state: z.enum(ROLLOUT_STATES),
  /** Who started it (x-actor), and who aborted it. */
  by: z.string(),
  aborted_by: z.string().optional(),
  started_at: z.number(),
  updated_at: z.number(),
  steps: z.array(RolloutStepSchema),
  /**
   * A promoted candidate that is another version of the control's model is made that model's
   * serving version in the model registry (its release record says why, with the figures): which one.
   */
  release: z.object({ model: z.string(), version: z.string() }).optional(),
});
export type RolloutRecord = z.infer<typeof RolloutRecordSchema>;
