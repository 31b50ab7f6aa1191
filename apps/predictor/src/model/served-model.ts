import type { LoadedModel, ModelRunner } from '@msp/model-runtime';

/**
 * The model version this process serves right now, swappable in place (model-load): a
 * request runs on the runner that was current when it started and names that runner's
 * version; a replaced runner is released once its last request has finished.
 */
export class ServedModel {
  private current: LoadedModel;
  private readonly inUse = new Map<ModelRunner, number>();
  private readonly idle = new Map<ModelRunner, () => void>();

  constructor(initial: LoadedModel) {
    this.current = initial;
  }

  get loaded(): LoadedModel {
    return this.current;
  }

  get runner(): ModelRunner {
    return this.current.runner;
  }

  /** Runs `work` on the current runner, which stays alive until `work` settles. */
  async run<T>(work: (runner: ModelRunner) => Promise<T>): Promise<T> {
    const runner = this.current.runner;
    this.inUse.set(runner, (this.inUse.get(runner) ?? 0) + 1);
    try {
      return await work(runner);
    } finally {
      const left = (this.inUse.get(runner) ?? 1) - 1;
      if (left > 0) this.inUse.set(runner, left);
      else {
        this.inUse.delete(runner);
        this.idle.get(runner)?.();
      }
    }
  }

  /**
   * Makes `next` current at once; resolves with the previous model once its requests in
   * flight have finished and its session is released.
   */
  async swap(next: LoadedModel): Promise<LoadedModel> {
    const previous = this.current;
    this.current = next;
    if (this.inUse.has(previous.runner)) {
      await new Promise<void>((resolve) => this.idle.set(previous.runner, resolve));
      this.idle.delete(previous.runner);
    }
    await previous.runner.release();
    return previous;
  }

  async release(): Promise<void> {
    await this.current.runner.release();
  }
}
