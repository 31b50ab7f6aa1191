import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  checkpointMismatches,
  CheckpointRepository,
  identifyInput,
  type Checkpoint,
  type RunIdentity,
} from './checkpoint.repository.js';

describe('checkpoints', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'msp-batch-checkpoint-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const identity = (overrides: Partial<RunIdentity> = {}): RunIdentity => ({
    input: { path: '/data/in.csv', size: 100, headSha256: 'abc' },
    format: 'csv',
    columns: null,
    model: 'iris-mlp',
    chunkSize: 500,
    errorsPath: null,
    ...overrides,
  });

  const checkpoint = (): Checkpoint => ({
    version: 1,
    ...identity(),
    modelVersion: '1',
    totalRows: 1000,
    rowsDone: 500,
    scored: 499,
    failed: 1,
    failures: [{ row: 3, id: 'x', reason: 'row 3: petal_width is not a number ("")' }],
    outputBytes: 12345,
    errorsBytes: 0,
    startedAt: '2026-11-22T00:00:00.000Z',
    updatedAt: '2026-11-22T00:00:01.000Z',
  });

  it('writes atomically and reads back; none is undefined; remove deletes it', async () => {
    const repo = new CheckpointRepository(join(dir, 'out.ndjson'));
    expect(repo.path).toBe(join(dir, 'out.ndjson.checkpoint.json'));
    expect(await repo.read()).toBeUndefined();
    await repo.write(checkpoint());
    await repo.write({ ...checkpoint(), rowsDone: 1000 });
    expect(await repo.read()).toEqual({ ...checkpoint(), rowsDone: 1000 });
    expect((await readdir(dir)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    await repo.remove();
    expect(await repo.read()).toBeUndefined();
  });

  it('refuses a file that is not a checkpoint', async () => {
    const repo = new CheckpointRepository(join(dir, 'other.ndjson'));
    await writeFile(repo.path, '{"hello": 1}');
    await expect(repo.read()).rejects.toThrow(/is not a batch checkpoint/);
    await writeFile(repo.path, '{');
    await expect(repo.read()).rejects.toThrow(/is not valid JSON/);
  });

  it('matches the same run and names every difference of another', () => {
    expect(checkpointMismatches(identity(), identity())).toEqual([]);
    expect(
      checkpointMismatches(
        identity(),
        identity({ input: { path: '/data/in.csv', size: 100, headSha256: 'def' }, chunkSize: 50, model: 'iris-trees' }),
      ),
    ).toEqual(['the input file content changed', 'model was "iris-mlp", now "iris-trees"', 'chunk size was 500, now 50']);
  });

  it('identifies an input by path, size and a hash of its first bytes', async () => {
    const path = join(dir, 'in.csv');
    await writeFile(path, 'a,b\n1,2\n');
    const first = await identifyInput(path);
    expect(first).toEqual({ path, size: 8, headSha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    await writeFile(path, 'a,b\n1,3\n');
    expect((await identifyInput(path)).headSha256).not.toBe(first.headSha256);
  });
});
