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

/** The experiments file (EXPERIMENTS_FILE): a list, so one file holds a deployment's experiments. */
export const ExperimentsFileSchema = z.strictObject({ experiments: z.array(ShadowExperimentSchema) });
