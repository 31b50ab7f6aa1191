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

/** Every model this process serves (one, or several with MODEL_NAMES), by name, in the configured order. */
export class ServedModels {
  private readonly byName: ReadonlyMap<string, ServedModel>;

  constructor(loaded: readonly LoadedModel[]) {
    this.byName = new Map(loaded.map((model) => [model.runner.name, new ServedModel(model)]));
  }

  get names(): string[] {
    return [...this.byName.keys()];
  }

  all(): ServedModel[] {
    return [...this.byName.values()];
  }

  /** The served model of that name, or undefined. */
  find(name: string): ServedModel | undefined {
    return this.byName.get(name);
  }

  /** `iris-mlp@3, iris-softmax@2`: what this process serves, for messages. */
  describe(): string {
    return this.all()
      .map(({ runner }) => `${runner.name}@${runner.version}`)
      .join(', ');
  }

  async release(): Promise<void> {
    await Promise.all(this.all().map((served) => served.release()));
  }
}
