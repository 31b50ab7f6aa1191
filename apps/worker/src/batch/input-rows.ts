import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { parse } from 'csv-parse';
import type { InputFormat } from './batch-options.js';
import { UsageError } from './batch-options.js';

export type RowId = string | number;

/** One data row of the input: 0-based index (header and blank lines not counted), features or why not. */
export type InputRow =
  | { row: number; id?: RowId; features: number[]; error?: undefined }
  | { row: number; id?: RowId; features?: undefined; error: string };

/** Where a CSV row's id and features are. */
export interface CsvLayout {
  fieldCount: number;
  idIndex: number | undefined;
  featureIndexes: number[];
  featureNames: string[];
}

export const ID_COLUMN = 'id';

/**
 * Feature columns are `columns` when given, else every column but `id` in header order; their
 * number must be the model's input width. A header that cannot work is a UsageError.
 */
export function csvLayout(header: readonly string[], width: number, columns?: readonly string[]): CsvLayout {
  const names = header.map((name) => name.trim());
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate !== undefined) throw new UsageError(`the CSV header names column '${duplicate}' twice`);
  const idIndex = names.indexOf(ID_COLUMN);
  const featureNames = columns ? [...columns] : names.filter((name) => name !== ID_COLUMN);
  const missing = featureNames.filter((name) => !names.includes(name));
  if (missing.length > 0) {
    throw new UsageError(`the CSV header (${names.join(',')}) has no column ${missing.map((m) => `'${m}'`).join(', ')}`);
  }
  if (featureNames.length !== width) {
    throw new UsageError(
      `the model takes ${width} features per row but the CSV gives ${featureNames.length} ` +
        `(${featureNames.join(',')}); choose them with --columns`,
    );
  }
  return {
    fieldCount: names.length,
    idIndex: idIndex < 0 ? undefined : idIndex,
    featureIndexes: featureNames.map((name) => names.indexOf(name)),
    featureNames,
  };
}

/** Validates one CSV record; never throws, so one bad row never fails a chunk. */
export function parseCsvRecord(record: readonly string[], layout: CsvLayout, row: number): InputRow {
  const id = layout.idIndex === undefined ? undefined : record[layout.idIndex];
  const base = id === undefined || id === '' ? { row } : { row, id };
  if (record.length !== layout.fieldCount) {
    return { ...base, error: `row ${row}: expected ${layout.fieldCount} fields, got ${record.length}` };
  }
  const features: number[] = [];
  for (const [position, index] of layout.featureIndexes.entries()) {
    const raw = (record[index] ?? '').trim();
    const value = raw === '' ? Number.NaN : Number(raw);
    if (!Number.isFinite(value)) {
      const name = layout.featureNames[position] ?? `column ${index}`;
      return { ...base, error: `row ${row}: ${name} is not a number (${JSON.stringify(raw)})` };
    }
    features.push(value);
  }
  return { ...base, features };
}

/**
 * Validates one NDJSON line: `{"id"?: string|number, "features": [...]}` with `width` finite
 * numbers (nested arrays, e.g. 28×28 pixels, are flattened row-major). Never throws.
 */
export function parseNdjsonLine(line: string, width: number, row: number): InputRow {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { row, error: `row ${row}: not valid JSON` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { row, error: `row ${row}: expected an object {"id"?, "features": [...]}` };
  }
  const object = value as Record<string, unknown>;
  const id = object[ID_COLUMN];
  if (id !== undefined && typeof id !== 'string' && typeof id !== 'number') {
    return { row, error: `row ${row}: id must be a string or a number` };
  }
  const base = id === undefined ? { row } : { row, id };
  const raw = object['features'];
  if (!Array.isArray(raw)) return { ...base, error: `row ${row}: features must be an array of ${width} numbers` };
  const flat: unknown[] = raw.flat(Infinity);
  if (flat.length !== width) {
    return { ...base, error: `row ${row}: features has ${flat.length} values, the model takes ${width}` };
  }
  const bad = flat.findIndex((x) => typeof x !== 'number' || !Number.isFinite(x));
  if (bad >= 0) return { ...base, error: `row ${row}: features[${bad}] is not a finite number` };
  return { ...base, features: flat as number[] };
}

export interface RowSourceOptions {
  path: string;
  format: InputFormat;
  /** The model's input width: features per row. */
  width: number;
  columns?: readonly string[] | undefined;
}

/** Streams the input's rows in order, each validated; a malformed file (e.g. an open quote) throws. */
export async function* readRows(options: RowSourceOptions): AsyncGenerator<InputRow> {
  if (options.format === 'ndjson') {
    const lines = createInterface({ input: createReadStream(options.path), crlfDelay: Infinity });
    let row = 0;
    for await (const line of lines) {
      if (line.trim() === '') continue;
      yield parseNdjsonLine(line, options.width, row++);
    }
    return;
  }
  const records = createReadStream(options.path).pipe(
    parse({ bom: true, relax_column_count: true, skip_empty_lines: true, trim: true }),
  );
  let layout: CsvLayout | undefined;
  let row = 0;
  for await (const record of records as AsyncIterable<string[]>) {
    if (!layout) {
      layout = csvLayout(record, options.width, options.columns);
      continue;
    }
    yield parseCsvRecord(record, layout, row++);
  }
  if (!layout) throw new UsageError(`${options.path} is empty: a CSV input needs a header line`);
}

/** Counts the input's data rows (one parsing pass), for progress and ETA; checks the header too. */
export async function countRows(options: RowSourceOptions): Promise<number> {
  let count = 0;
  for await (const _row of readRows(options)) count++;
  return count;
}
