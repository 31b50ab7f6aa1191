import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

export const USAGE = `pnpm new:predictor --name <model-name> --model <path.onnx> [options]

  --name <n>            model name: lower-case kebab-case; the service is predictor-<n>
  --model <file>        the ONNX file (loaded with onnxruntime to read its inputs and outputs)
  --pattern <p>         the overlay and Compose profile that serve it (default synchronous)
  --labels a,b,c        class labels (default 0..k-1 when the output's last axis is fixed at k)
  --version <v>         model version (default 1)
  --description <text>  (default "imported from <file>")
  --owner <who>         recorded in the manifest's training block
  --preprocessing <p>   what the input must look like (default none)
  --accuracy <0..1>     held-out accuracy, if known (default 0: unknown)
  --opset <n>           when the file does not import the ai.onnx opset
  --root <dir>          repository to write into (default: this one)
  --dry-run             print what would be written, write nothing
  --force               replace a model this tool generated before`;

export class UsageError extends Error {
  override readonly name = 'UsageError';
}

export interface NewPredictorOptions {
  name: string;
  model: string;
  pattern: string;
  labels?: string[];
  version: string;
  description?: string;
  owner?: string;
  preprocessing: string;
  accuracy: number;
  opset?: number;
  root?: string;
  dryRun: boolean;
  force: boolean;
}

/** Kubernetes names `predictor-<name>` (≤ 63 characters, DNS label); the manifest wants kebab-case. */
const NAME = /^[a-z0-9](?:[a-z0-9-]{0,51}[a-z0-9])?$/;

export function parseNewPredictorArgs(argv: readonly string[]): NewPredictorOptions {
  let values: ReturnType<typeof parse>['values'];
  try {
    ({ values } = parse(argv));
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const { name, model } = values;
  if (!name || !model) throw new UsageError('--name and --model are required');
  if (!NAME.test(name)) throw new UsageError(`--name ${name}: use lower-case letters, digits and inner dashes, at most 53 characters`);
  const number = (flag: string, value: string | undefined, check: (n: number) => boolean): number | undefined => {
    if (value === undefined) return undefined;
    const parsed = Number(value);
    if (!Number.isFinite(parsed) || !check(parsed)) throw new UsageError(`--${flag} ${value} is out of range`);
    return parsed;
  };
  const labels = values.labels?.split(',').map((label) => label.trim());
  if (labels && (labels.length < 2 || labels.some((label) => label === ''))) throw new UsageError('--labels needs at least two non-empty labels');
  const opset = number('opset', values.opset, (n) => Number.isInteger(n) && n > 0);
  return {
    name,
    model: resolve(model),
    pattern: values.pattern ?? 'synchronous',
    ...(labels ? { labels } : {}),
    version: values.version ?? '1',
    ...(values.description !== undefined ? { description: values.description } : {}),
    ...(values.owner !== undefined ? { owner: values.owner } : {}),
    preprocessing: values.preprocessing ?? 'none',
    accuracy: number('accuracy', values.accuracy, (n) => n >= 0 && n <= 1) ?? 0,
    ...(opset !== undefined ? { opset } : {}),
    ...(values.root !== undefined ? { root: resolve(values.root) } : {}),
    dryRun: values['dry-run'] ?? false,
    force: values.force ?? false,
  };
}

function parse(argv: readonly string[]) {
  return parseArgs({
    args: [...argv],
    strict: true,
    allowPositionals: false,
    options: {
      name: { type: 'string' },
      model: { type: 'string' },
      pattern: { type: 'string' },
      labels: { type: 'string' },
      version: { type: 'string' },
      description: { type: 'string' },
      owner: { type: 'string' },
      preprocessing: { type: 'string' },
      accuracy: { type: 'string' },
      opset: { type: 'string' },
      root: { type: 'string' },
      'dry-run': { type: 'boolean' },
      force: { type: 'boolean' },
    },
  });
}
