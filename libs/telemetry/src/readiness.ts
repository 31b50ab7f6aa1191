/** One condition of readiness: a fixed answer, or a check asked on every probe. */
export type ReadinessCheck = boolean | (() => boolean);

/**
 * What a service needs before it really serves (e.g. model loaded, NATS connected, endpoint
 * subscribed). Every condition starts false; the service sets each as it comes up (and back
 * to false on shutdown). Ready only when all are true.
 */
export class Readiness {
  private readonly checks = new Map<string, ReadinessCheck>();

  constructor(conditions: readonly string[]) {
    for (const name of conditions) this.checks.set(name, false);
  }

  set(condition: string, check: ReadinessCheck): void {
    if (!this.checks.has(condition)) throw new Error(`unknown readiness condition '${condition}'`);
    this.checks.set(condition, check);
  }

  /** Every condition and whether it holds now. */
  report(): Record<string, boolean> {
    const report: Record<string, boolean> = {};
    for (const [name, check] of this.checks) report[name] = typeof check === 'function' ? check() : check;
    return report;
  }

  get isReady(): boolean {
    return Object.values(this.report()).every(Boolean);
  }
}
