import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import os from 'node:os';
import type { LoadResult } from './load.js';

export interface BenchRow {
  pattern: string;
  model: string;
  concurrency: number;
  result: LoadResult;
  /** CPU time each process spent per answered request (includes warm-up-free window only). */
  cpuPerRequestUs?: Record<string, number>;
}

export function printTable(rows: BenchRow[]): void {
  const header = ['pattern', 'model', 'conc', 'req/s', 'p50 ms', 'p90 ms', 'p99 ms', 'errors'];
  const lines = rows.map((row) => [
    row.pattern,
    row.model,
    String(row.concurrency),
    String(row.result.requestsPerSecond),
    row.result.latencyMs.p50.toFixed(3),
    row.result.latencyMs.p90.toFixed(3),
    row.result.latencyMs.p99.toFixed(3),
    String(row.result.errors + row.result.non2xx),
  ]);
  printColumns(header, lines);
}

/** A table of strings, right-aligned under its header, with a rule between: what every bench prints. */
export function printColumns(header: readonly string[], lines: readonly (readonly string[])[]): void {
  const widths = header.map((title, column) => Math.max(title.length, ...lines.map((line) => line[column]?.length ?? 0)));
  const format = (cells: readonly string[]): string => cells.map((cell, column) => cell.padStart(widths[column] ?? 0)).join('  ');
  console.log(format(header));
  console.log(widths.map((width) => '-'.repeat(width)).join('  '));
  for (const line of lines) console.log(format(line));
}

/** Writes the run as JSON under bench/results/, with what it ran on, and returns the path. */
export async function writeResults(directory: string, name: string, data: Record<string, unknown>): Promise<string> {
  await mkdir(directory, { recursive: true });
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const path = join(directory, `${name}-${stamp}.json`);
  const machine = { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, memoryGiB: Math.round(os.totalmem() / 2 ** 30) };
  const json = JSON.stringify({ name, at: new Date().toISOString(), machine, ...data }, null, 2);
  await writeFile(path, json);
  await writeFile(join(directory, `${name}-latest.json`), json);
  return path;
}
