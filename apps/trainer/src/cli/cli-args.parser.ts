import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ModelName } from '@msp/contracts';
import { MODEL_NAMES } from '@msp/contracts';

export interface CliArgs {
  models: ModelName[];
  /** Skip models whose release on disk is intact. */
  missingOnly: boolean;
  /** Overrides the configured models directory. */
  outDir?: string;
  version: string;
  help: boolean;
}

export class CliArgsError extends Error {
  override readonly name = 'CliArgsError';
}

export const USAGE = `Usage: node apps/trainer/dist/main.js [options]

Trains, exports to ONNX, evaluates and writes models/<name>/{model.onnx,manifest.json}.

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
  if (values.out !== undefined && values.out.trim() === '') throw new CliArgsError('--out needs a directory');
  if (!VERSION_PATTERN.test(values.version)) {
    throw new CliArgsError(`--version "${values.version}" may only contain letters, digits, ".", "_" and "-"`);
  }
  return {
    models,
    missingOnly: values.missing,
    ...(values.out !== undefined ? { outDir: resolve(values.out) } : {}),
    version: values.version,
    help: values.help,
  };
}
