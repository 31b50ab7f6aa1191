import { createHash } from 'node:crypto';
import { open, readFile, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { z } from 'zod';

/** Which file a run reads: its path, size and a hash of its first bytes (not mtime: copies keep content). */
export interface InputIdentity {
  path: string;
  size: number;
  headSha256: string;
}

/** What a resumed run must agree on with the run that wrote the checkpoint. */
export interface RunIdentity {
  input: InputIdentity;
  format: string;
  columns: string[] | null;
  model: string;
  chunkSize: number;
  errorsPath: string | null;
}

export interface RowFailure {
  row: number;
  id?: string | number;
  reason: string;
}

export interface Checkpoint extends RunIdentity {
  version: 1;
  /** The model version the run scores with (pinned through `msp.infer.<model>.<version>`). */
  modelVersion: string;
  totalRows: number;
  /** Input rows done (scored or failed), always a whole number of chunks or the total. */
  rowsDone: number;
  scored: number;
  failed: number;
  /** The first failures, for the summary. */
  failures: RowFailure[];
  /** Bytes of the output (and errors file) that belong to the rows done. */
  outputBytes: number;
  errorsBytes: number;
  startedAt: string;
  updatedAt: string;
}

const HEAD_BYTES = 1024 * 1024;

const FailureSchema = z.object({ row: z.number(), id: z.union([z.string(), z.number()]).optional(), reason: z.string() });

const CheckpointSchema = z.object({
  version: z.literal(1),
  input: z.object({ path: z.string(), size: z.number(), headSha256: z.string() }),
  format: z.string(),
  columns: z.array(z.string()).nullable(),
  model: z.string(),
  chunkSize: z.number().int().positive(),
  errorsPath: z.string().nullable(),
  modelVersion: z.string(),
  totalRows: z.number().int().nonnegative(),
  rowsDone: z.number().int().nonnegative(),
  scored: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  failures: z.array(FailureSchema),
  outputBytes: z.number().int().nonnegative(),
  errorsBytes: z.number().int().nonnegative(),
  startedAt: z.string(),
  updatedAt: z.string(),
});

export async function identifyInput(path: string): Promise<InputIdentity> {
  const { size } = await stat(path);
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.alloc(Math.min(size, HEAD_BYTES));
    const { bytesRead } = await file.read(buffer, 0, buffer.length, 0);
    return { path, size, headSha256: createHash('sha256').update(buffer.subarray(0, bytesRead)).digest('hex') };
  } finally {
    await file.close();
  }
}

/** Why a checkpoint cannot be resumed with this run's identity; empty when it can. */
export function checkpointMismatches(checkpoint: RunIdentity, run: RunIdentity): string[] {
  const problems: string[] = [];
  const differ = (what: string, was: unknown, now: unknown): void => {
    if (JSON.stringify(was) !== JSON.stringify(now)) {
      problems.push(`${what} was ${JSON.stringify(was)}, now ${JSON.stringify(now)}`);
    }
  };
  differ('input path', checkpoint.input.path, run.input.path);
  differ('input size', checkpoint.input.size, run.input.size);
  if (checkpoint.input.headSha256 !== run.input.headSha256) problems.push('the input file content changed');
  differ('format', checkpoint.format, run.format);
  differ('columns', checkpoint.columns, run.columns);
  differ('model', checkpoint.model, run.model);
  differ('chunk size', checkpoint.chunkSize, run.chunkSize);
  differ('errors file', checkpoint.errorsPath, run.errorsPath);
  return problems;
}

/** `<output>.checkpoint.json` beside the output, replaced atomically (temp file, fsync, rename). */
export class CheckpointRepository {
  readonly path: string;

  constructor(outputPath: string) {
    this.path = `${outputPath}.checkpoint.json`;
  }

  /** undefined when there is none; throws when it exists but is not a checkpoint of ours. */
  async read(): Promise<Checkpoint | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw error;
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new Error(`${this.path} is not valid JSON`);
    }
    const parsed = CheckpointSchema.safeParse(json);
    if (!parsed.success) throw new Error(`${this.path} is not a batch checkpoint: ${parsed.error.issues[0]?.message ?? ''}`);
    return parsed.data as Checkpoint;
  }

  /** Only call once the output bytes it counts are fsync'ed: a crash leaves the old or the new one. */
  async write(checkpoint: Checkpoint): Promise<void> {
    const temp = join(dirname(this.path), `.${basename(this.path)}.${process.pid}.tmp`);
    const file = await open(temp, 'w');
    try {
      await file.writeFile(`${JSON.stringify(checkpoint, null, 2)}\n`);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(temp, this.path);
    await syncDirectory(dirname(this.path));
  }

  async remove(): Promise<void> {
    await rm(this.path, { force: true });
    await syncDirectory(dirname(this.path));
  }
}

/** Makes a rename or unlink in the folder durable. */
async function syncDirectory(path: string): Promise<void> {
  const dir = await open(path, 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
