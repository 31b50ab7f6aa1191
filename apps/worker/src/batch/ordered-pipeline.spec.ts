import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { runInOrder } from './ordered-pipeline.js';

async function* numbers(n: number): AsyncGenerator<number> {
  for (let i = 0; i < n; i++) yield i;
}

describe('runInOrder', () => {
  it('commits in input order however the work finishes, with at most `concurrency` in flight', async () => {
    const committed: number[] = [];
    let inFlight = 0;
    let most = 0;
    const result = await runInOrder(
      numbers(30),
      async (i) => {
        inFlight++;
        most = Math.max(most, inFlight);
        await sleep((i * 7) % 5);
        inFlight--;
        return i * 10;
      },
      async (value, item) => {
        expect(value).toBe(item * 10);
        committed.push(item);
      },
      { concurrency: 4 },
    );
    expect(result).toEqual({ stopped: false });
    expect(committed).toEqual([...Array(30).keys()]);
    expect(most).toBe(4);
  });

  it('commits everything before a failure, nothing after it, and rejects with it', async () => {
    const committed: number[] = [];
    const run = runInOrder(
      numbers(10),
      async (i) => {
        await sleep(i === 4 ? 5 : 0);
        if (i === 4) throw new Error('chunk 4 failed');
        return i;
      },
      async (value) => void committed.push(value),
      { concurrency: 3 },
    );
    await expect(run).rejects.toThrow('chunk 4 failed');
    expect(committed).toEqual([0, 1, 2, 3]);
  });

  it('once aborted starts nothing new but still commits what is in flight', async () => {
    const controller = new AbortController();
    const started: number[] = [];
    const committed: number[] = [];
    const result = await runInOrder(
      numbers(100),
      async (i) => {
        started.push(i);
        if (i === 5) controller.abort();
        await sleep(1);
        return i;
      },
      async (value) => void committed.push(value),
      { concurrency: 2, signal: controller.signal },
    );
    expect(result).toEqual({ stopped: true });
    expect(committed).toEqual(started);
    expect(started.length).toBeLessThan(10);
  });
});
