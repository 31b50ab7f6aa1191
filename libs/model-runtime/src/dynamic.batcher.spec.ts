import { describe, expect, it } from 'vitest';
import { ErrorCode, MspError } from '@msp/contracts';
import { DynamicBatcher, type BatchStats } from './dynamic.batcher.js';

interface Item {
  id: number;
  rows: number;
  key?: string;
}

/** A batcher over a fake model whose runs end when the test says so. */
function harness(maxRows: number) {
  const runs: number[][] = [];
  const stats: BatchStats[] = [];
  const pending: (() => void)[] = [];
  const batcher = new DynamicBatcher<Item, string>({
    maxRows,
    rowsOf: (item) => item.rows,
    keyOf: (item) => item.key ?? 'a',
    runBatch: (items) => {
      runs.push(items.map((item) => item.id));
      return new Promise((resolve) => pending.push(() => resolve(items.map((item) => `out-${item.id}`))));
    },
    onBatch: (batch) => stats.push(batch),
  });
  const finishRun = async (): Promise<void> => {
    pending.shift()?.();
    await new Promise((resolve) => setImmediate(resolve));
  };
  return { batcher, runs, stats, finishRun };
}

describe('DynamicBatcher', () => {
  it('runs a request at once when idle, alone', async () => {
    const { batcher, runs, finishRun } = harness(8);
    const answer = batcher.submit({ id: 1, rows: 1 });
    expect(runs).toEqual([[1]]);
    await finishRun();
    await expect(answer).resolves.toBe('out-1');
  });

  it('queues what arrives during a run and runs it together afterwards, each answer to its request', async () => {
    const { batcher, runs, stats, finishRun } = harness(8);
    const answers = [1, 2, 3, 4].map((id) => batcher.submit({ id, rows: 1 }));
    expect(runs).toEqual([[1]]);
    expect(batcher.queued).toBe(3);
    await finishRun();
    expect(runs).toEqual([[1], [2, 3, 4]]);
    await finishRun();
    await expect(Promise.all(answers)).resolves.toEqual(['out-1', 'out-2', 'out-3', 'out-4']);
    expect(stats.map((batch) => [batch.requests, batch.rows])).toEqual([[1, 1], [3, 3]]);
    expect(stats[1]!.queuedMs).toHaveLength(3);
  });

  it('bounds a batch by rows, and never mixes requests of different shapes', async () => {
    const { batcher, runs, finishRun } = harness(4);
    void batcher.submit({ id: 1, rows: 1 });
    for (const item of [{ id: 2, rows: 3 }, { id: 3, rows: 2 }, { id: 4, rows: 1, key: 'b' }, { id: 5, rows: 1 }]) void batcher.submit(item);
    for (let i = 0; i < 4; i++) await finishRun();
    expect(runs).toEqual([[1], [2, 5], [3], [4]]);
  });

  it('refuses with 504 a request whose deadline passed while it queued', async () => {
    const { batcher, runs, finishRun } = harness(8);
    void batcher.submit({ id: 1, rows: 1 });
    const late = batcher.submit({ id: 2, rows: 1 }, Date.now() + 5).then(() => undefined, (caught: unknown) => caught);
    await new Promise((resolve) => setTimeout(resolve, 20));
    await finishRun();
    const error = await late;
    expect(error).toBeInstanceOf(MspError);
    expect((error as MspError).code).toBe(ErrorCode.DeadlineExceeded);
    expect(runs).toEqual([[1]]);
  });

  it('fails every request of a batch whose run fails, and goes on with the next', async () => {
    let calls = 0;
    const batcher = new DynamicBatcher<Item, string>({
      maxRows: 8,
      rowsOf: (item) => item.rows,
      keyOf: () => 'a',
      runBatch: async (items) => {
        calls += 1;
        if (calls === 2) throw MspError.internal('boom');
        return items.map((item) => `out-${item.id}`);
      },
    });
    const answers = [1, 2, 3].map((id) => batcher.submit({ id, rows: 1 }).catch((error: unknown) => (error as Error).message));
    await expect(Promise.all(answers)).resolves.toEqual(['out-1', 'boom', 'boom']);
    await expect(batcher.submit({ id: 4, rows: 1 })).resolves.toBe('out-4');
  });
});
