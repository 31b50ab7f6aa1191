import type { ArmFigures, ReleaseRecord, RolloutRecord } from '@msp/contracts';
import type { ModelRegistry } from '@msp/registry';

/** The release a promotion makes serving: the candidate, when it is another version of the control's model; else none (two models: the rollout record is the registry's word). */
export function releaseOf(record: RolloutRecord): { model: string; version: string } | undefined {
  const { control, candidate } = record;
  return candidate.model === control.model && candidate.version !== undefined && candidate.version !== control.version ? { model: candidate.model, version: candidate.version } : undefined;
}

const figures = (arm: ArmFigures | undefined): string =>
  arm ? `${arm.requests} requests, error rate ${arm.error_rate}${arm.p99_ms === undefined ? '' : `, p99 ${arm.p99_ms} ms`}${arm.accuracy === undefined ? '' : `, accuracy ${arm.accuracy}`}` : 'no figures';

/**
 * The model registry's side of a promotion: the candidate version becomes its model's serving
 * one (compare-and-set in the release records; the previous one retired), with the last step's
 * figures as the reason. No artefact is purged: retention stays with `pnpm models promote`, and
 * the gateway may write release records but not delete artefacts. Undefined when there is no
 * release to promote (the candidate is another model). A refusal (e.g. a version the gate
 * rejected) throws: the rollout rolls back with the registry's reason.
 */
export async function promoteRelease(registry: () => Promise<Pick<ModelRegistry, 'promote'>>, record: RolloutRecord): Promise<ReleaseRecord | undefined> {
  const release = releaseOf(record);
  if (!release) return undefined; // the registry is not even opened
  const last = record.steps.at(-1);
  const reason = `promoted by rollout ${record.id} (started by ${record.by}): candidate ${figures(last?.candidate)}; control ${figures(last?.control)}`;
  return (await registry()).promote(release.model, release.version, { reason, keep: Number.POSITIVE_INFINITY });
}
