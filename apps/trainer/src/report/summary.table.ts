export type ModelStatus = 'pass' | 'fail' | 'skipped' | 'error';

export interface ModelResult {
  name: string;
  status: ModelStatus;
  gate: number;
  /** Held-out accuracy computed by onnxruntime on the exported model. */
  accuracy?: number;
  /** Largest |p_onnx - p_trainer| over the held-out probabilities. */
  maxAbsDiff?: number;
  seconds: number;
  note?: string;
}

/** A plain-text table, one row per model. */
export function formatSummary(results: readonly ModelResult[]): string {
  const header = ['model', 'held-out acc', 'gate', 'result', 'max |Δp| onnx vs js', 'seconds', 'note'];
  const rows = results.map((r) => [
    r.name,
    r.accuracy !== undefined ? r.accuracy.toFixed(4) : '-',
    `≥ ${r.gate.toFixed(2)}`,
    r.status.toUpperCase(),
    r.maxAbsDiff !== undefined ? r.maxAbsDiff.toExponential(2) : '-',
    r.seconds.toFixed(1),
    r.note ?? '',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => (row[i] ?? '').length)));
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
