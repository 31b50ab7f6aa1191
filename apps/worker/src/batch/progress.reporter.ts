/** `4,500/10,000 rows (45.0%), 3,120 rows/s, ETA 1.8s`, or without ETA before any rate is known. */
export function formatProgress(done: number, total: number, rowsPerSecond: number): string {
  const percent = total === 0 ? 100 : (100 * done) / total;
  const eta = rowsPerSecond > 0 ? `, ETA ${formatDuration((total - done) / rowsPerSecond)}` : '';
  return `${count(done)}/${count(total)} rows (${percent.toFixed(1)}%), ${count(Math.round(rowsPerSecond))} rows/s${eta}`;
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)}s`;
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}h${String(m).padStart(2, '0')}m` : `${m}m${String(s % 60).padStart(2, '0')}s`;
}

export function count(n: number): string {
  return n.toLocaleString('en-US');
}

/**
 * Progress lines on stderr, at most one per `intervalMs`. The rate counts only the rows this run
 * did, so a resumed run's ETA is not flattered by the rows it skipped.
 */
export class ProgressReporter {
  private readonly started: number;
  private lastShown = -Infinity;
  private lastDone = -1;

  constructor(
    private readonly total: number,
    private readonly startRows: number,
    private readonly intervalMs: number,
    private readonly write: (line: string) => void,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.started = now();
  }

  /** Rows per second since the start of this run. */
  rate(done: number): number {
    const seconds = (this.now() - this.started) / 1000;
    return seconds > 0 ? (done - this.startRows) / seconds : 0;
  }

  /** `force` shows the line now (the final one), unless that count was just shown. */
  update(done: number, force = false): void {
    const now = this.now();
    if (force ? done === this.lastDone : now - this.lastShown < this.intervalMs) return;
    this.lastShown = now;
    this.lastDone = done;
    this.write(formatProgress(done, this.total, this.rate(done)));
  }
}
