import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ModelManifestSchema } from '@msp/contracts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runTraining } from './training.pipeline.js';

describe('runTraining (iris models only: they train in milliseconds)', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'trainer-pipeline-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const run = (missingOnly: boolean) =>
    runTraining({
      models: ['iris-trees', 'iris-softmax'],
      missingOnly,
      modelsDir: dir,
      version: '7',
      seed: 42,
      producerVersion: 'test',
      log: () => undefined,
    });

  it('trains, evaluates with onnxruntime, writes valid releases, then skips them with --missing', async () => {
    const first = await run(false);
    expect(first.map((r) => [r.name, r.status])).toEqual([
      ['iris-softmax', 'pass'],
      ['iris-trees', 'pass'],
    ]);
    for (const result of first) {
      expect(result.accuracy).toBeGreaterThanOrEqual(result.gate);
      expect(result.maxAbsDiff).toBeLessThan(1e-5);
      const manifest = ModelManifestSchema.parse(JSON.parse(await readFile(join(dir, result.name, 'manifest.json'), 'utf8')));
      expect(manifest).toMatchObject({ name: result.name, version: '7', metrics: { accuracy: result.accuracy } });
    }
    const bytes = await readFile(join(dir, 'iris-trees', 'model.onnx'));

    const second = await run(true);
    expect(second.map((r) => r.status)).toEqual(['skipped', 'skipped']);

    // Same seed, same model: retraining reproduces the file byte for byte.
    await run(false);
    expect(await readFile(join(dir, 'iris-trees', 'model.onnx'))).toEqual(bytes);
  });
});
