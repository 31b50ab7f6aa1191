import type { EpochStats } from '../nn/fit-loop.js';

/** Long runs (the iris models' 150 tiny epochs) print about six lines, not one per epoch. */
export function shouldReportEpoch(stats: EpochStats): boolean {
  if (stats.epochs <= 20) return true;
  return stats.epoch === stats.epochs || stats.epoch % Math.ceil(stats.epochs / 6) === 0;
}

export function formatEpoch(model: string, stats: EpochStats): string {
  const width = String(stats.epochs).length;
  const fields = [
    `epoch ${String(stats.epoch).padStart(width)}/${stats.epochs}`,
    `loss ${stats.loss.toFixed(4)}`,
    `train-acc ${stats.accuracy.toFixed(4)}`,
    `${stats.seconds.toFixed(2)}s`,
  ];
  return `[${model}] ${fields.join('  ')}`;
}
