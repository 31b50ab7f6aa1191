export interface OrderedPipelineOptions {
  /** Items worked on at once; at least 1. */
  concurrency: number;
  /** Once aborted, no new item is started; those in flight are still committed. */
  signal?: AbortSignal;
}

type Settled<R> = { ok: true; value: R } | { ok: false; error: unknown };

/**
 * Runs `work` on up to `concurrency` items at once and hands each result to `commit` strictly in
 * the items' order, one commit at a time. A failed work item rejects the pipeline once every
 * item before it is committed; nothing after it is committed. Returns whether it stopped early.
 */
export async function runInOrder<T, R>(
  items: AsyncIterable<T>,
  work: (item: T) => Promise<R>,
  commit: (result: R, item: T) => Promise<void>,
  options: OrderedPipelineOptions,
): Promise<{ stopped: boolean }> {
  const concurrency = Math.max(1, Math.floor(options.concurrency));
  const inFlight: { item: T; result: Promise<Settled<R>> }[] = [];
  const commitOldest = async (): Promise<void> => {
    const oldest = inFlight.shift();
    if (!oldest) return;
    const settled = await oldest.result;
    if (!settled.ok) throw settled.error;
    await commit(settled.value, oldest.item);
  };

  let stopped = false;
  for await (const item of items) {
    if (options.signal?.aborted) {
      stopped = true;
      break;
    }
    // Settled at once into a value, so a failure of a later item is never an unhandled rejection.
    const result = work(item).then(
      (value): Settled<R> => ({ ok: true, value }),
      (error: unknown): Settled<R> => ({ ok: false, error }),
    );
    inFlight.push({ item, result });
    if (inFlight.length >= concurrency) await commitOldest();
  }
  while (inFlight.length > 0) await commitOldest();
  return { stopped };
}
