import { describe, expect, it } from 'vitest';
import { formatDuration, formatProgress, ProgressReporter } from './progress.reporter.js';

describe('progress', () => {
  it('formats rows, rate and ETA', () => {
    expect(formatProgress(4500, 10_000, 3120)).toBe('4,500/10,000 rows (45.0%), 3,120 rows/s, ETA 1.8s');
    expect(formatProgress(0, 10, 0)).toBe('0/10 rows (0.0%), 0 rows/s');
    expect([formatDuration(75), formatDuration(7300)]).toEqual(['1m15s', '2h01m']);
  });

  it('shows at most one line per interval, a forced one unless just shown, and counts only this run in the rate', () => {
    let now = 0;
    const lines: string[] = [];
    const progress = new ProgressReporter(1000, 400, 500, (line) => lines.push(line), () => now);
    now = 100;
    progress.update(450);
    now = 300;
    progress.update(500);
    now = 1000;
    progress.update(600);
    progress.update(600, true);
    progress.update(700);
    progress.update(700, true);
    expect(lines).toEqual([
      '450/1,000 rows (45.0%), 500 rows/s, ETA 1.1s',
      '600/1,000 rows (60.0%), 200 rows/s, ETA 2.0s',
      '700/1,000 rows (70.0%), 300 rows/s, ETA 1.0s',
    ]);
  });
});
