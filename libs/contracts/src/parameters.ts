import { z } from 'zod';

/**
 * Parameter-based serving: values the gateway reads live from the JetStream KV bucket
 * `msp-parameters` (key = parameter name), changed at run time without a restart. Every value
 * is stored with who set it, when, and what it replaced; the bucket's history is the audit log.
 */
export const Parameters = {
  bucket: 'msp-parameters',
  /** Revisions kept per key: the audit trail of each parameter. */
  history: 64,
} as const;

const SEGMENT = '[A-Za-z0-9][A-Za-z0-9_-]*';

/** The parameters there are, by name pattern, and what each value must be. */
const KINDS: readonly { pattern: RegExp; what: string; schema: z.ZodType }[] = [
  { pattern: new RegExp(`^models\\.${SEGMENT}\\.enabled$`), what: 'a kill switch: false answers 503 at once', schema: z.boolean() },
  { pattern: new RegExp(`^experiments\\.${SEGMENT}\\.enabled$`), what: 'an experiment on (true) or off (false)', schema: z.boolean() },
  {
    pattern: new RegExp(`^experiments\\.${SEGMENT}\\.weights$`),
    what: 'an AB experiment\'s weights by variant',
    schema: z.record(z.string().regex(new RegExp(`^${SEGMENT}$`)), z.number().min(0).max(1_000_000)).refine((weights) => Object.values(weights).some((weight) => weight > 0), 'at least one weight must be above 0'),
  },
  {
    pattern: new RegExp(`^experiments\\.${SEGMENT}\\.shadow$`),
    what: 'the AB variant that every request the control answers is mirrored to (a rollout\'s shadow stage)',
    schema: z.string().regex(new RegExp(`^${SEGMENT}$`), 'expected a variant name'),
  },
  {
    pattern: new RegExp(`^experiments\\.${SEGMENT}\\.fallback$`),
    what: "the AB variant that answers a request whose assigned variant failed, and the share of the request's time left that the assigned variant gets first (a rollout's canary)",
    schema: z.strictObject({
      variant: z.string().regex(new RegExp(`^${SEGMENT}$`), 'expected a variant name'),
      assigned_share: z.number().min(0.05).max(0.95),
    }),
  },
  { pattern: new RegExp(`^graphs\\.${SEGMENT}\\.${SEGMENT}$`), what: 'a number a graph condition names with `parameter`', schema: z.number().finite() },
];

/** What each parameter name pattern means (for errors and docs). */
export const PARAMETER_NAMES = ['models.<model>.enabled', 'experiments.<id>.enabled', 'experiments.<id>.weights', 'experiments.<id>.shadow', 'experiments.<id>.fallback', 'graphs.<graph>.<name>'] as const;

/** Checks a parameter's name and value; returns the value, or the problem. */
export function parseParameter(name: string, value: unknown): { value: unknown } | { error: string } {
  const kind = KINDS.find((candidate) => candidate.pattern.test(name));
  if (!kind) return { error: `unknown parameter '${name}': names are ${PARAMETER_NAMES.join(', ')}` };
  const parsed = kind.schema.safeParse(value);
  if (!parsed.success) return { error: `parameter '${name}' is ${kind.what}: ${parsed.error.issues.map((issue) => issue.message).join('; ')}` };
  return { value: parsed.data };
}

/** One stored value of a parameter: the value, who set it, when (epoch ms), and the value it replaced. */
export const ParameterRecordSchema = z.object({
  value: z.unknown(),
  by: z.string(),
  at: z.number(),
  previous: z.unknown().optional(),
  reason: z.string().optional(),
});
export type ParameterRecord = z.infer<typeof ParameterRecordSchema>;
