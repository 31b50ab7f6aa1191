import type { ModelManifest, ReleaseRecord, Trial } from '@msp/contracts';
import type { ModelRegistry } from '@msp/registry';
import { accuracy } from '../evaluate/classification.metrics.js';
import { scoreWithOnnx } from '../evaluate/onnx.evaluator.js';
import type { HeldOutSet } from '../models/model-trainer.js';
import { judgeRelease, type GateVerdict } from './release.gate.js';

/** How `pnpm train --model <m>` hands its models to the registry. */
export interface RegistryReleaseOptions {
  registry: ModelRegistry;
  owner: string;
  codeRevision?: string;
  /** Promote a model that passes the gate (false: register it as a candidate only). */
  release: boolean;
  /** Versions whose artefacts the registry keeps after a promotion. */
  keep: number;
  /** Register under this model name instead of the trainer's. */
  as?: string;
}

export interface CandidateModel {
  manifest: ModelManifest;
  onnx: Uint8Array;
  heldOut: HeldOutSet;
  threshold: number;
  accuracy: number;
  parityProblem?: string;
  /** Gate on this instead of held-out accuracy (see GateInput). */
  crossValidated?: { accuracy: number; folds: number; rows: number };
  /** Every configuration a search tried. */
  trials?: Trial[];
  metrics: Record<string, number>;
}

export interface ReleaseOutcome {
  record: ReleaseRecord;
  verdict: GateVerdict;
}

/**
 * gate → register → release: scores the serving version (fetched and digest-checked) on the
 * candidate's held-out rows, judges, registers the candidate as `candidate` or `rejected` with
 * the verdict's reason, and promotes it when it passed and release is asked for.
 */
export async function gateAndRelease(candidate: CandidateModel, options: RegistryReleaseOptions): Promise<ReleaseOutcome> {
  const { registry } = options;
  const manifest = options.as !== undefined ? { ...candidate.manifest, name: options.as } : candidate.manifest;
  const { name } = manifest;
  const serving = (await registry.models()).includes(name) ? await registry.serving(name) : undefined;
  let servingScore: { version: string; accuracy: number } | undefined;
  if (serving) {
    const artefact = await registry.artefact(name, serving.version);
    const scores = await scoreWithOnnx(artefact.onnx, candidate.heldOut.batch);
    servingScore = { version: serving.version, accuracy: accuracy(scores.probabilities, scores.classes, candidate.heldOut.targets) };
  }
  const verdict = judgeRelease({
    threshold: candidate.threshold,
    accuracy: candidate.accuracy,
    heldOutRows: candidate.heldOut.targets.length,
    ...(candidate.parityProblem !== undefined ? { parityProblem: candidate.parityProblem } : {}),
    ...(servingScore ? { serving: servingScore } : {}),
    ...(candidate.crossValidated ? { crossValidated: candidate.crossValidated } : {}),
  });
  const registered = await registry.register({
    manifest,
    onnx: candidate.onnx,
    status: verdict.pass ? 'candidate' : 'rejected',
    reason: verdict.reason,
    metrics: {
      ...candidate.metrics,
      ...(servingScore ? { servingAccuracySameRows: servingScore.accuracy } : {}),
    },
    params: manifest.training,
    ...(candidate.trials ? { trials: candidate.trials } : {}),
    owner: options.owner,
    ...(options.codeRevision !== undefined ? { codeRevision: options.codeRevision } : {}),
  });
  if (!verdict.pass || !options.release) return { record: registered, verdict };
  const record = await registry.promote(name, registered.version, { keep: options.keep, reason: `released by the trainer: ${verdict.reason}` });
  return { record, verdict };
}
