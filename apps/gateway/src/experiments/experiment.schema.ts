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

/** The experiments file (EXPERIMENTS_FILE): a list, so one file holds a deployment's experiments. */
export const ExperimentsFileSchema = z.strictObject({ experiments: z.array(ExperimentSchema) });
