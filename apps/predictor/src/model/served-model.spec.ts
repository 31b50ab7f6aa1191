import { describe, expect, it, vi } from 'vitest';
import type { LoadedModel, ModelRunner } from '@msp/model-runtime';
import { ServedModel } from './served-model.js';

function model(version: string): LoadedModel & { released: () => boolean } {
  let released = false;
  const runner = { version, release: vi.fn(async () => void (released = true)) } as unknown as ModelRunner;
  return { runner, released: () => released } as unknown as LoadedModel & { released: () => boolean };
}

describe('ServedModel', () => {
  it('runs new work on the new version at once and releases the old one after its last request', async () => {
    const v1 = model('1');
    const v2 = model('2');
    const served = new ServedModel(v1);
    let finish!: () => void;
    const slow = served.run(async (runner) => {
      await new Promise<void>((resolve) => (finish = resolve));
      return runner.version;
    });
    const swapped = served.swap(v2);
    expect(await served.run(async (runner) => runner.version)).toBe('2');
    expect(v1.released()).toBe(false);
    finish();
    expect(await slow).toBe('1');
    expect(await swapped).toBe(v1);
    expect(v1.released()).toBe(true);
    expect(v2.released()).toBe(false);
  });

  it('releases an idle previous version at once', async () => {
    const v1 = model('1');
    const served = new ServedModel(v1);
    await served.swap(model('2'));
    expect(v1.released()).toBe(true);
  });
});
