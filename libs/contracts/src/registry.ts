import { z } from 'zod';
import { ModelManifestSchema } from './manifest.schema.js';

/**
 * The model registry (training-to-serving): artefacts in a JetStream Object Store, one
 * release record per model version in a JetStream KV bucket. Both use file storage.
 */
export const Registry = {
  /** Object Store bucket of ONNX files, one object per `<model>/<version>`. */
  artefacts: 'msp-models',
  /** KV bucket of release records, key `<model>.<version>`. */
  releases: 'msp-releases',
  /** Revisions kept per record: its status changes, for `pnpm models show`. */
  history: 16,
  /** Versions kept with their artefact when a model is promoted (older retired ones are purged). */
  defaultKeep: 3,
} as const;

/**
 * candidate: registered, passed the gate, not yet released; rejected: refused by the gate,
 * never served; serving: the version predictors load; retired: served once, no longer.
 */
export const RELEASE_STATUSES = ['candidate', 'rejected', 'serving', 'retired'] as const;
export type ReleaseStatus = (typeof RELEASE_STATUSES)[number];

/** Versions are assigned by the registry: 1, 2, 3… per model. */
export const REGISTRY_VERSION = /^[1-9][0-9]*$/;

/** One configuration tried by a search, with its cross-validated score. */
export const TrialSchema = z.object({
  params: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
  score: z.number(),
});
export type Trial = z.infer<typeof TrialSchema>;

export const ReleaseRecordSchema = z.object({
  name: z.string(),
  version: z.string().regex(REGISTRY_VERSION),
  status: z.enum(RELEASE_STATUSES),
  /** Why the gate refused it, or why it was retired. */
  reason: z.string().optional(),
  /** Metrics on the held-out split (and cross-validated ones where the gate uses them). */
  metrics: z.record(z.string(), z.number()),
  dataset: z.object({ name: z.string(), version: z.string(), seed: z.number().int() }),
  /** Training parameters (hyper-parameters, architecture), as the trainer reports them. */
  params: z.record(z.string(), z.unknown()),
  /** Every configuration a search tried, when the version came from `--search`. */
  trials: z.array(TrialSchema).optional(),
  /** `git rev-parse HEAD` of the code that trained it, when known. */
  codeRevision: z.string().optional(),
  owner: z.string(),
  created: z.string().datetime(),
  updated: z.string().datetime(),
  /** SHA-256 (hex) of the ONNX artefact; every load checks it. */
  digest: z.string().regex(/^[a-f0-9]{64}$/),
  bytes: z.number().int().positive(),
  /** The artefact was deleted by the retention policy; the record stays as history. */
  purged: z.boolean().optional(),
  manifest: ModelManifestSchema,
});
export type ReleaseRecord = z.infer<typeof ReleaseRecordSchema>;

/** KV key of a release record; NATS tokens cannot hold dots, and names and versions have none. */
export function releaseKey(name: string, version: string): string {
  return `${name}.${version}`;
}

/** Object name of a version's ONNX file. */
export function artefactName(name: string, version: string): string {
  return `${name}/${version}/model.onnx`;
}

/**
 * How the gateway routes a request that names no version, per model (KV bucket
 * `msp-routing`, key = model): latest (the model's queue group: whichever predictor answers),
 * pinned (one version), or weighted (a canary: each request picks a version by weight). Only
 * versions with live predictors are chosen; with none, the gateway falls back to latest.
 */
export const RoutingPolicySchema = z.discriminatedUnion('mode', [
  z.object({ mode: z.literal('latest') }),
  z.object({ mode: z.literal('pinned'), version: z.string().regex(REGISTRY_VERSION) }),
  z.object({
    mode: z.literal('weighted'),
    weights: z
      .record(z.string().regex(REGISTRY_VERSION), z.number().nonnegative())
      .refine((weights) => Object.values(weights).some((weight) => weight > 0), 'at least one weight must be above 0'),
  }),
]);
export type RoutingPolicy = z.infer<typeof RoutingPolicySchema>;

export const Routing = {
  /** KV bucket of routing policies, key = model name. */
  bucket: 'msp-routing',
  history: 8,
} as const;
