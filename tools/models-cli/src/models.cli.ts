import type { ArmFigures, ReleaseRecord, RolloutRecord, RoutingPolicy } from '@msp/contracts';
import { RegistryError, type ModelRegistry, type RolloutLog, type RoutingTable } from '@msp/registry';
import { importArtefacts } from './artefact.importer.js';
import type { ModelsCommand } from './models.command.js';

export interface CliOutput {
  out: (line: string) => void;
  err: (line: string) => void;
}

export interface CliContext extends CliOutput {
  registry: ModelRegistry;
  routing: RoutingTable;
  rollouts: RolloutLog;
  modelsDir: string;
  owner: string;
}

/** Runs one registry command; resolves with the exit code (2 for an unknown model or version). */
export async function runModelsCommand(command: ModelsCommand, context: CliContext): Promise<number> {
  try {
    await run(command, context);
    return 0;
  } catch (error) {
    if (!(error instanceof RegistryError)) throw error;
    context.err(`models ${command.kind}: ${error.message}`);
    return error.isUnknown ? 2 : 1;
  }
}

async function run(command: ModelsCommand, { registry, routing, rollouts, out, modelsDir, owner }: CliContext): Promise<void> {
  switch (command.kind) {
    case 'rollouts': {
      if (command.id === undefined) {
        const records = await rollouts.list();
        out(records.length === 0 ? 'no rollout has run: POST /v1/rollouts/<id>/start on the gateway starts one' : formatRollouts(records));
        return;
      }
      const record = await rollouts.get(command.id);
      if (!record) throw new RegistryError('unknown-model', `no rollout '${command.id}' has run (pnpm models rollouts lists those that have)`);
      out(`${record.id}: ${record.state} — ${record.candidate.variant} (${record.candidate.model}) against ${record.control.variant} (${record.control.model}) in ${record.experiment}, started by ${record.by}`);
      for (const step of record.steps) {
        const figures = step.candidate && step.control ? `  candidate ${formatArm(step.candidate)}  control ${formatArm(step.control)}` : '';
        out(`  ${step.stage.padEnd(7)} ${String(step.weight).padStart(3)} %  ${(step.outcome ?? 'running').padEnd(11)}${figures}${step.reasons.length > 0 ? `  — ${step.reasons.join('; ')}` : ''}`);
      }
      if (record.release) out(`  registry: ${record.release.model} v${record.release.version} serving (pnpm models show ${record.release.model} ${record.release.version})`);
      return;
    }
    case 'list': {
      const names = command.model !== undefined ? [command.model] : await registry.models();
      if (names.length === 0) {
        out('the registry is empty: `pnpm train --model <m>` or `pnpm models import` registers models');
        return;
      }
      const records = (await Promise.all(names.map((name) => registry.versions(name)))).flat();
      out(formatTable(records));
      return;
    }
    case 'show': {
      const version = command.version ?? (await servingOrLatest(registry, command.model));
      const record = await registry.get(command.model, version);
      const { manifest, ...rest } = record;
      out(JSON.stringify({ ...rest, manifest: { inputs: manifest.inputs, outputs: manifest.outputs, labels: manifest.labels, gate: manifest.gate } }, null, 2));
      out('history:');
      for (const revision of await registry.history(command.model, version)) {
        out(`  ${revision.updated}  ${revision.status}${revision.purged ? ' (artefact purged)' : ''}${revision.reason ? `  — ${revision.reason}` : ''}`);
      }
      return;
    }
    case 'promote': {
      const record = await registry.promote(command.model, command.version, {
        keep: command.keep,
        reason: command.reason ?? `promoted by ${owner}`,
      });
      out(`${record.name} v${record.version} is serving`);
      return;
    }
    case 'retire': {
      const record = await registry.retire(command.model, command.version, command.reason ?? `retired by ${owner}`);
      out(`${record.name} v${record.version} is retired`);
      return;
    }
    case 'retire-below': {
      const retired = await registry.retireBelow(command.model, command.metric, command.min);
      if (retired.length === 0) out(`${command.model}: no candidate or serving version has ${command.metric} below ${command.min}`);
      for (const record of retired) out(`${record.name} v${record.version} is retired: ${record.reason ?? ''}`);
      return;
    }
    case 'rollback': {
      const record = await registry.rollback(command.model);
      out(`${record.name} v${record.version} is serving again (${record.reason ?? ''})`);
      return;
    }
    case 'route': {
      if (command.policy) {
        const versions = await registry.versions(command.model);
        for (const version of policyVersions(command.policy)) {
          const record = versions.find((candidate) => candidate.version === version);
          if (!record) {
            throw new RegistryError('unknown-version', `${command.model} has no version '${version}' (it has ${versions.map((r) => `v${r.version}`).join(', ')})`);
          }
          if (record.status === 'rejected') throw new RegistryError('conflict', `${command.model} v${version} was rejected by the gate; it is never routed to`);
        }
        await routing.set(command.model, command.policy);
      }
      out(`${command.model}: ${describePolicy(await routing.get(command.model))}`);
      return;
    }
    case 'import': {
      const { imported, known } = await importArtefacts(registry, modelsDir, owner);
      for (const record of imported) out(`${record.name} v${record.version} registered from ${modelsDir} and serving`);
      if (known.length > 0) out(`already in the registry, left as they are: ${known.join(', ')}`);
      return;
    }
  }
}

async function servingOrLatest(registry: ModelRegistry, name: string): Promise<string> {
  return (await registry.serving(name))?.version ?? (await registry.versions(name)).at(-1)?.version ?? '1';
}

const COLUMNS = ['MODEL', 'VERSION', 'STATUS', 'ACCURACY', 'CREATED', 'OWNER', 'DIGEST', 'REASON'] as const;

/** One row per version, columns padded to their widest cell. */
export function formatTable(records: readonly ReleaseRecord[]): string {
  const rows = records.map((record) => [
    record.name,
    record.version,
    record.status + (record.purged ? ' (purged)' : ''),
    record.metrics['accuracy']?.toFixed(4) ?? '-',
    record.created.slice(0, 19).replace('T', ' '),
    record.owner,
    record.digest.slice(0, 12),
    record.reason ?? '',
  ]);
  return table(COLUMNS, rows);
}

/** Rows under a header, each column as wide as its widest cell. */
function table(columns: readonly string[], rows: readonly string[][]): string {
  const all = [[...columns], ...rows];
  const widths = columns.map((_, column) => Math.max(...all.map((row) => row[column]?.length ?? 0)));
  return all.map((row) => row.map((cell, column) => cell.padEnd(widths[column] ?? 0)).join('  ').trimEnd()).join('\n');
}

function policyVersions(policy: RoutingPolicy): string[] {
  if (policy.mode === 'pinned') return [policy.version];
  if (policy.mode === 'weighted') return Object.keys(policy.weights);
  return [];
}

export function describePolicy(policy: RoutingPolicy): string {
  switch (policy.mode) {
    case 'latest':
      return 'latest (requests without a version go to whichever predictor of the model answers)';
    case 'pinned':
      return `pinned to v${policy.version}`;
    case 'weighted': {
      const total = Object.values(policy.weights).reduce((sum, weight) => sum + weight, 0);
      const shares = Object.entries(policy.weights).map(([version, weight]) => `v${version} ${Math.round((1000 * weight) / total) / 10}%`);
      return `weighted: ${shares.join(', ')}`;
    }
  }
}

function formatRollouts(records: readonly RolloutRecord[]): string {
  const rows = records.map((record) => [
    record.id,
    record.state,
    `${record.candidate.variant} (${record.candidate.model})`,
    record.steps.map((step) => `${step.stage === 'canary' ? `${step.weight}%` : step.stage}${step.outcome === 'rolled_back' ? '✗' : ''}`).join(' → '),
    new Date(record.updated_at).toISOString().replace('T', ' ').slice(0, 19),
  ]);
  return table(['ROLLOUT', 'STATE', 'CANDIDATE', 'STEPS', 'UPDATED'], rows);
}

const formatArm = (arm: ArmFigures): string => `${arm.requests} req, ${arm.errors} err, p99 ${arm.p99_ms === undefined ? '-' : `${Math.round(arm.p99_ms * 10) / 10} ms`}${arm.accuracy === undefined ? '' : `, acc ${arm.accuracy}`}`;
