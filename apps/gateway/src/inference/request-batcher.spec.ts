import { describe, expect, it } from 'vitest';
import { RequestBatcher } from './request-batcher.js';

describe('RequestBatcher', () => {
  it('starts every request queued in one turn together, on the next turn', async () => {
    const batcher = new RequestBatcher();
    const started: number[] = [];
    const results = [1, 2, 3].map((n) =>
      batcher.run(async () => {
        started.push(n);
        return n * 10;
      }),
    );
    expect(started).toEqual([]);
    await new Promise((resolve) => setImmediate(resolve));
    expect(started).toEqual([1, 2, 3]);
    await expect(Promise.all(results)).resolves.toEqual([10, 20, 30]);
  });

  it('passes rejections and synchronous throws on to their own caller only', async () => {
    const batcher = new RequestBatcher();
    const ok = batcher.run(async () => 'ok');
    const rejected = batcher.run(() => Promise.reject(new Error('no')));
    const thrown = batcher.run((): Promise<never> => {
      throw new Error('sync');
    });
    await expect(ok).resolves.toBe('ok');
    await expect(rejected).rejects.toThrow('no');
    await expect(thrown).rejects.toThrow('sync');
  });

  it('keeps working across turns', async () => {
    const batcher = new RequestBatcher();
    expect(await batcher.run(async () => 1)).toBe(1);
    expect(await batcher.run(async () => 2)).toBe(2);
  });
});
