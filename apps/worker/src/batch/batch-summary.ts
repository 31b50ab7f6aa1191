import type { BatchSummary } from './batch.runner.js';
import { count, formatDuration } from './progress.reporter.js';

/** The human summary printed on stderr at the end of a run (the same data is logged as JSON). */
export function formatSummary(summary: BatchSummary): string {
  const took = formatDuration(summary.durationMs / 1000);
  const state = summary.interrupted ? `interrupted after ${took}; rerun to resume` : `done in ${took}`;
  const lines = [
    `batch ${summary.model}@${summary.modelVersion}: ${state}`,
    `  rows     ${count(summary.rowsDone)}/${count(summary.totalRows)}` +
      (summary.resumedAt > 0 ? ` (resumed at row ${count(summary.resumedAt)})` : ''),
    `  scored   ${count(summary.scored)}`,
    `  failed   ${count(summary.failed)}`,
    ...summary.failures.map((failure) => `           ${failure.reason}`),
  ];
  if (summary.failed > summary.failures.length) {
    lines.push(`           … and ${count(summary.failed - summary.failures.length)} more`);
  }
  lines.push(
    `  chunks   ${count(summary.chunks)} this run`,
    `  rate     ${count(Math.round(summary.rowsPerSecond))} rows/s`,
    `  output   ${summary.output}`,
  );
  return lines.join('\n');
}
