import { MspError, remainingMs } from '@msp/contracts';

/** What one batch cost, for metrics: how long each request waited, and the run itself. */
export interface BatchStats {
  /** Requests in the batch. */
  requests: number;
  /** Rows on the batch axis, all requests together. */
  rows: number;
  /** How long each request waited in the queue before its batch started, in ms. */
  queuedMs: number[];
  /** The batch's run, in ms. */
  computeMs: number;
}

export interface DynamicBatcherOptions<I, O> {
  /** Rows one batch may hold; a single larger request still runs, alone. */
  maxRows: number;
  /** Runs one batch (items in arrival order, all with the same key); one output per item, same order. */
  runBatch(items: readonly I[]): Promise<O[]>;
  rowsOf(item: I): number;
  /** Only items with the same key share a batch (same inputs' names, types, row shapes, outputs). */
  keyOf(item: I): string;
  onBatch?: (stats: BatchStats) => void;
}

interface Entry<I, O> {
  item: I;
  rows: number;
  key: string;
  deadline: number | undefined;
  enqueuedAt: number;
  resolve: (output: O) => void;
  reject: (error: unknown) => void;
}

/**
 * Adaptive dynamic batching: a request that finds the model idle runs at once, alone (no
 * waiting window, so nothing is lost at low load); requests that arrive while a run is in
 * progress queue, and when it ends they run together — up to `maxRows` rows of the same key,
 * oldest first. A request whose deadline passed while it queued is refused (504), not run.
 * The batch size thus follows the load: 1 when idle, larger the busier the model is.
 */
export class DynamicBatcher<I, O> {
  private queue: Entry<I, O>[] = [];
  private running = false;

  constructor(private readonly options: DynamicBatcherOptions<I, O>) {}

  /** Runs `item` in the next batch it fits; `deadline` (epoch ms) bounds how long it may queue. */
  submit(item: I, deadline?: number): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({
        item,
        rows: this.options.rowsOf(item),
        key: this.options.keyOf(item),
        deadline,
        enqueuedAt: performance.now(),
        resolve,
        reject,
      });
      if (!this.running) void this.pump();
    });
  }

  /** Requests waiting for a batch (not the one running). */
  get queued(): number {
    return this.queue.length;
  }

  private async pump(): Promise<void> {
    this.running = true;
    try {
      for (let batch = this.take(); batch.length > 0; batch = this.take()) await this.runOne(batch);
    } finally {
      this.running = false;
    }
  }

  /** The oldest live entry and the entries after it with its key, up to `maxRows` rows. */
  private take(): Entry<I, O>[] {
    const batch: Entry<I, O>[] = [];
    const rest: Entry<I, O>[] = [];
    let rows = 0;
    for (const entry of this.queue) {
      if (entry.deadline !== undefined && remainingMs(entry.deadline) <= 0) {
        entry.reject(MspError.deadlineExceeded('the deadline passed while the request waited for its batch'));
        continue;
      }
      const first = batch[0];
      if (first === undefined || (entry.key === first.key && rows + entry.rows <= this.options.maxRows)) {
        batch.push(entry);
        rows += entry.rows;
      } else {
        rest.push(entry);
      }
    }
    this.queue = rest;
    return batch;
  }

  private async runOne(batch: Entry<I, O>[]): Promise<void> {
    const started = performance.now();
    let outputs: O[];
    try {
      outputs = await this.options.runBatch(batch.map((entry) => entry.item));
    } catch (error) {
      for (const entry of batch) entry.reject(error);
      return;
    }
    this.options.onBatch?.({
      requests: batch.length,
      rows: batch.reduce((sum, entry) => sum + entry.rows, 0),
      queuedMs: batch.map((entry) => started - entry.enqueuedAt),
      computeMs: performance.now() - started,
    });
    batch.forEach((entry, index) => entry.resolve(outputs[index]!));
  }
}
