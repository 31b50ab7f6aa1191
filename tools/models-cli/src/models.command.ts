import { parseArgs } from 'node:util';
import { Registry, type RoutingPolicy } from '@msp/contracts';

export const USAGE = `Usage: pnpm models [trainer options]          train the models missing under models/ (as before)
       pnpm models list [model]                 every model (or one), its versions and their status
       pnpm models show <model> [version]       one release record (default: the serving version) and its history
       pnpm models promote <model> <version> [--keep N] [--reason text]
                                                serve this version; the serving one is retired; artefacts of
                                                versions beyond the newest N (default ${Registry.defaultKeep}) are purged
       pnpm models retire <model> <version> [--reason text]
       pnpm models retire <model> --below <metric>=<min>
                                                retirement policy: retire every candidate or serving
                                                version whose recorded metric is below min
       pnpm models rollback <model>             serve the previous retired version again
       pnpm models route <model> [latest | pin <version> | split <v>=<w>,<v>=<w>]
                                                how the gateway routes requests that name no version:
                                                latest, one pinned version, or a weighted canary split
                                                (no argument: show the current policy)
       pnpm models import                       register models/<name> as serving v1 for every model the
                                                registry does not know yet (pnpm start does this)
       pnpm models rollouts [id]                metric-gated promotions as recorded (KV msp-rollouts): every
                                                rollout's state, or one rollout's steps with their figures

The registry lives in NATS JetStream (NATS_URL, default nats://127.0.0.1:4222).
Exit codes: 0 done, 1 refused or failed, 2 bad usage or unknown model/version.`;

export type ModelsCommand =
  | { kind: 'list'; model?: string }
  | { kind: 'show'; model: string; version?: string }
  | { kind: 'promote'; model: string; version: string; keep: number; reason?: string }
  | { kind: 'retire'; model: string; version: string; reason?: string }
  | { kind: 'retire-below'; model: string; metric: string; min: number }
  | { kind: 'rollback'; model: string }
  | { kind: 'route'; model: string; policy?: RoutingPolicy }
  | { kind: 'import' }
  | { kind: 'rollouts'; id?: string };

export const SUBCOMMANDS = ['list', 'show', 'promote', 'retire', 'rollback', 'route', 'import', 'rollouts'] as const;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** Whether argv names a registry subcommand; anything else goes to the trainer as before. */
export function isRegistryCommand(argv: readonly string[]): boolean {
  return (SUBCOMMANDS as readonly string[]).includes(argv[0] ?? '');
}

export function parseModelsCommand(argv: readonly string[]): ModelsCommand {
  const [kind, ...rest] = argv;
  let parsed;
  try {
    parsed = parseArgs({
      args: rest,
      strict: true,
      allowPositionals: true,
      options: { keep: { type: 'string' }, reason: { type: 'string' }, below: { type: 'string' } },
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { values, positionals } = parsed;
  const positional = (count: number, names: string): string[] => {
    if (positionals.length > count) throw new UsageError(`${kind} takes ${names}; unexpected: ${positionals.slice(count).join(' ')}`);
    return positionals;
  };
  const required = (value: string | undefined, what: string): string => {
    if (!value) throw new UsageError(`${kind} needs ${what}`);
    return value;
  };
  const reason = values.reason !== undefined ? { reason: values.reason } : {};
  if (values.keep !== undefined && kind !== 'promote') throw new UsageError('--keep is an option of promote');
  if (values.below !== undefined && kind !== 'retire') throw new UsageError('--below is an option of retire');
  switch (kind) {
    case 'list': {
      const [model] = positional(1, '[model]');
      return { kind, ...(model !== undefined ? { model } : {}) };
    }
    case 'show': {
      const [model, version] = positional(2, '<model> [version]');
      return { kind, model: required(model, 'a model name'), ...(version !== undefined ? { version } : {}) };
    }
    case 'promote': {
      const [model, version] = positional(2, '<model> <version>');
      const keep = values.keep === undefined ? Registry.defaultKeep : Number(values.keep);
      if (!Number.isInteger(keep) || keep < 1) throw new UsageError(`--keep ${values.keep}: a whole number of versions, at least 1`);
      return { kind, model: required(model, 'a model name'), version: required(version, 'a version'), keep, ...reason };
    }
    case 'retire': {
      if (values.below !== undefined) {
        const [model] = positional(1, '<model> --below <metric>=<min>');
        const match = /^([A-Za-z][A-Za-z0-9_]*)=([0-9]*\.?[0-9]+)$/.exec(values.below);
        if (!match) throw new UsageError(`--below ${values.below}: <metric>=<min>, e.g. accuracy=0.95`);
        return { kind: 'retire-below', model: required(model, 'a model name'), metric: match[1]!, min: Number(match[2]) };
      }
      const [model, version] = positional(2, '<model> <version>');
      return { kind, model: required(model, 'a model name'), version: required(version, 'a version'), ...reason };
    }
    case 'rollback': {
      const [model] = positional(1, '<model>');
      return { kind, model: required(model, 'a model name') };
    }
    case 'route': {
      const [model, mode, argument] = positional(3, '<model> [latest | pin <version> | split <v>=<w>,…]');
      const name = required(model, 'a model name');
      if (mode === undefined) return { kind, model: name };
      return { kind, model: name, policy: parsePolicy(mode, argument) };
    }
    case 'import':
      positional(0, 'no arguments');
      return { kind };
    case 'rollouts': {
      const [id] = positional(1, '[rollout id]');
      return { kind, ...(id !== undefined ? { id } : {}) };
    }
    default:
      throw new UsageError(`unknown command '${kind ?? ''}' (commands: ${SUBCOMMANDS.join(', ')})`);
  }
}

function parsePolicy(mode: string, argument: string | undefined): RoutingPolicy {
  switch (mode) {
    case 'latest':
      if (argument !== undefined) throw new UsageError(`route latest takes no argument; unexpected: ${argument}`);
      return { mode: 'latest' };
    case 'pin':
      if (argument === undefined || !/^[1-9][0-9]*$/.test(argument)) throw new UsageError('route pin needs a version number, e.g. route iris-mlp pin 3');
      return { mode: 'pinned', version: argument };
    case 'split': {
      const weights: Record<string, number> = {};
      for (const part of (argument ?? '').split(',').filter(Boolean)) {
        const match = /^([1-9][0-9]*)=([0-9]+(?:\.[0-9]+)?)$/.exec(part.trim());
        if (!match) throw new UsageError(`route split: '${part}' is not <version>=<weight>, e.g. 2=90,3=10`);
        weights[match[1]!] = Number(match[2]);
      }
      if (Object.keys(weights).length === 0) throw new UsageError('route split needs <version>=<weight> pairs, e.g. 2=90,3=10');
      if (!Object.values(weights).some((weight) => weight > 0)) throw new UsageError('route split: at least one weight must be above 0');
      return { mode: 'weighted', weights };
    }
    default:
      throw new UsageError(`route: unknown policy '${mode}' (latest, pin <version>, split <v>=<w>,…)`);
  }
}
