import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ModelName } from '@msp/contracts';
import { MODEL_NAMES, Registry } from '@msp/contracts';

export interface CliArgs {
  models: ModelName[];
  /** Skip models whose release on disk is intact. */
  missingOnly: boolean;
  /** Overrides the configured models directory. */
  outDir?: string;
  version: string;
  /**
   * `--model <m>`: the training-to-serving pipeline for one model — gate against the serving
   * version, register in the registry, release (unless `--no-release`) — instead of models/.
   */
  registry?: { release: boolean; keep: number; as?: string; search: boolean };
  shuffleLabels: boolean;
  help: boolean;
}

export class CliArgsError extends Error {
  override readonly name = 'CliArgsError';
}

export const USAGE = `Usage: node apps/trainer/dist/main.js [options]

Trains, exports to ONNX, evaluates and writes models/<name>/{model.onnx,manifest.json};
with --model, releases through the registry instead (load → train → evaluate → gate →
register → release).

  --model m         train m and release it through the registry (NATS_URL): the gate refuses
                    it below its threshold or when worse than the serving version on the same
                    held-out rows, and the registry records it as rejected with the reason
  --as NAME         with --model: register under this model name instead (an experiment, a test)
  --search          with --model: grid search (hidden size, learning rate, epochs, trees…) with
                    5-fold cross-validation on the training split; releases the best configuration
                    and records every trial's score (iris models)
  --no-release      with --model: register a model that passes as a candidate, do not serve it
  --keep N          with --model: artefacts of the newest N versions are kept (default ${Registry.defaultKeep})
  --shuffle-labels  train on shuffled labels: a deliberately bad model, for the gate to refuse
  --only a,b        train only these models (${MODEL_NAMES.join(', ')})
  --missing         skip models whose manifest validates and whose model.onnx sha256 matches
  --out DIR         output directory (default: env MODELS_DIR, else <repo>/models)
  --version V       version recorded in the manifests (default: 1)
  -h, --help        show this help`;

const VERSION_PATTERN = /^[A-Za-z0-9._-]+$/;

export function parseCliArgs(argv: readonly string[]): CliArgs {
  let values;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        only: { type: 'string' },
        missing: { type: 'boolean', default: false },
        out: { type: 'string' },
        version: { type: 'string', default: '1' },
        model: { type: 'string' },
        'no-release': { type: 'boolean', default: false },
        as: { type: 'string' },
        search: { type: 'boolean', default: false },
        keep: { type: 'string' },
        'shuffle-labels': { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    throw new CliArgsError(error instanceof Error ? error.message : String(error));
  }

  let models: ModelName[] = [...MODEL_NAMES];
  if (values.only !== undefined) {
    const names = values.only.split(',').map((s) => s.trim()).filter(Boolean);
    const unknown = names.filter((n) => !(MODEL_NAMES as readonly string[]).includes(n));
    if (names.length === 0) throw new CliArgsError('--only needs at least one model name');
    if (unknown.length > 0) {
      throw new CliArgsError(`unknown model(s) in --only: ${unknown.join(', ')} (known: ${MODEL_NAMES.join(', ')})`);
    }
    models = MODEL_NAMES.filter((n) => names.includes(n));
  }
  if (values.model !== undefined) {
    if (values.only !== undefined || values.missing || values.out !== undefined) {
      throw new CliArgsError('--model releases through the registry; it does not combine with --only, --missing or --out');
    }
    if (!(MODEL_NAMES as readonly string[]).includes(values.model)) {
      throw new CliArgsError(`unknown model '${values.model}' (known: ${MODEL_NAMES.join(', ')})`);
    }
    models = [values.model as ModelName];
  } else if (values['no-release'] || values.keep !== undefined || values.as !== undefined || values.search) {
    throw new CliArgsError('--no-release, --keep, --as and --search go with --model');
  }
  if (values.as !== undefined && !/^[a-z0-9]+(-[a-z0-9]+)*$/.test(values.as)) {
    throw new CliArgsError(`--as ${values.as}: a kebab-case model name such as iris-mlp-wide`);
  }
  const keep = values.keep === undefined ? Registry.defaultKeep : Number(values.keep);
  if (!Number.isInteger(keep) || keep < 1) throw new CliArgsError(`--keep ${values.keep}: a whole number of versions, at least 1`);
  if (values.out !== undefined && values.out.trim() === '') throw new CliArgsError('--out needs a directory');
  if (!VERSION_PATTERN.test(values.version)) {
    throw new CliArgsError(`--version "${values.version}" may only contain letters, digits, ".", "_" and "-"`);
  }
  return {
    models,
    missingOnly: values.missing,
    ...(values.out !== undefined ? { outDir: resolve(values.out) } : {}),
    version: values.version,
    ...(values.model !== undefined
      ? { registry: { release: !values['no-release'], keep, search: values.search, ...(values.as !== undefined ? { as: values.as } : {}) } }
      : {}),
    shuffleLabels: values['shuffle-labels'],
    help: values.help,
  };
}
