import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UsageError } from './batch-options.js';
import { countRows, csvLayout, parseCsvRecord, parseNdjsonLine, readRows, type InputRow } from './input-rows.js';

const IRIS = ['sepal_length', 'sepal_width', 'petal_length', 'petal_width'];

describe('csvLayout', () => {
  it('takes every column but id as a feature, in header order', () => {
    expect(csvLayout(['id', ...IRIS], 4)).toEqual({
      fieldCount: 5,
      idIndex: 0,
      featureIndexes: [1, 2, 3, 4],
      featureNames: IRIS,
    });
  });

  it('takes --columns in the order given, ignoring other columns', () => {
    const layout = csvLayout(['species', 'petal_width', 'petal_length', 'sepal_width', 'sepal_length'], 4, IRIS);
    expect(layout.featureIndexes).toEqual([4, 3, 2, 1]);
    expect(layout.idIndex).toBeUndefined();
  });

  it('refuses a header that does not give the model its width, or lacks a column, or repeats one', () => {
    expect(() => csvLayout(['species', ...IRIS], 4)).toThrow(/takes 4 features per row but the CSV gives 5.*--columns/);
    expect(() => csvLayout(IRIS, 4, ['sepal_length', 'x', 'y', 'z'])).toThrow(/no column 'x', 'y', 'z'/);
    expect(() => csvLayout(['a', 'a', 'b', 'c'], 4)).toThrow(UsageError);
  });
});

describe('parseCsvRecord', () => {
  const layout = csvLayout(['id', ...IRIS], 4);

  it('parses numbers and keeps the id', () => {
    expect(parseCsvRecord(['a7', '5.1', '3.5', '1.4', '0.2'], layout, 7)).toEqual({
      row: 7,
      id: 'a7',
      features: [5.1, 3.5, 1.4, 0.2],
    });
  });

  it('reports the row and the column of a value that is not a number', () => {
    expect(parseCsvRecord(['x', '5.1', '3.5', '1.4', 'abc'], layout, 17)).toEqual({
      row: 17,
      id: 'x',
      error: 'row 17: petal_width is not a number ("abc")',
    });
    expect(parseCsvRecord(['x', '', '3.5', '1.4', '1'], layout, 3).error).toBe('row 3: sepal_length is not a number ("")');
    expect(parseCsvRecord(['x', 'Infinity', '3.5', '1.4', '1'], layout, 3).error).toMatch(/sepal_length/);
  });

  it('reports a row with the wrong number of fields', () => {
    expect(parseCsvRecord(['x', '5.1'], layout, 2).error).toBe('row 2: expected 5 fields, got 2');
  });
});

describe('parseNdjsonLine', () => {
  it('takes {id?, features} and flattens nested features', () => {
    expect(parseNdjsonLine('{"id": 3, "features": [5.1, 3.5, 1.4, 0.2]}', 4, 0)).toEqual({
      row: 0,
      id: 3,
      features: [5.1, 3.5, 1.4, 0.2],
    });
    expect(parseNdjsonLine('{"features": [[1, 2], [3, 4]]}', 4, 1)).toEqual({ row: 1, features: [1, 2, 3, 4] });
  });

  it.each([
    ['{"features": [1, 2', 'row 5: not valid JSON'],
    ['[1, 2, 3, 4]', 'row 5: expected an object {"id"?, "features": [...]}'],
    ['{"input": [1, 2, 3, 4]}', 'row 5: features must be an array of 4 numbers'],
    ['{"features": [1, 2, 3]}', 'row 5: features has 3 values, the model takes 4'],
    ['{"features": [1, "2", 3, 4]}', 'row 5: features[1] is not a finite number'],
    ['{"id": {}, "features": [1, 2, 3, 4]}', 'row 5: id must be a string or a number'],
  ])('reports %s', (line, reason) => {
    expect(parseNdjsonLine(line, 4, 5).error).toBe(reason);
  });
});

describe('readRows', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'msp-batch-rows-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const collect = async (rows: AsyncIterable<InputRow>): Promise<InputRow[]> => {
    const all: InputRow[] = [];
    for await (const row of rows) all.push(row);
    return all;
  };

  it('numbers CSV data rows from 0, skipping the header and blank lines, with quoted fields', async () => {
    const path = join(dir, 'in.csv');
    await writeFile(path, `\uFEFFid,${IRIS.join(',')}\n"a,1",5.1,3.5,1.4,0.2\n\nb,6,x,1,1\r\nc,1,2,3,4\n`);
    const rows = await collect(readRows({ path, format: 'csv', width: 4 }));
    expect(rows).toEqual([
      { row: 0, id: 'a,1', features: [5.1, 3.5, 1.4, 0.2] },
      { row: 1, id: 'b', error: 'row 1: sepal_width is not a number ("x")' },
      { row: 2, id: 'c', features: [1, 2, 3, 4] },
    ]);
    expect(await countRows({ path, format: 'csv', width: 4 })).toBe(3);
  });

  it('numbers NDJSON rows from 0, skipping blank lines', async () => {
    const path = join(dir, 'in.ndjson');
    await writeFile(path, '{"features":[1,2,3,4]}\n\n{"id":"q","features":[1,2,3]}\n{"features":[4,3,2,1]}');
    const rows = await collect(readRows({ path, format: 'ndjson', width: 4 }));
    expect(rows.map((r) => [r.row, r.error ?? r.features])).toEqual([
      [0, [1, 2, 3, 4]],
      [1, 'row 1: features has 3 values, the model takes 4'],
      [2, [4, 3, 2, 1]],
    ]);
  });

  it('refuses an empty CSV and one whose header cannot feed the model', async () => {
    const empty = join(dir, 'empty.csv');
    await writeFile(empty, '');
    await expect(countRows({ path: empty, format: 'csv', width: 4 })).rejects.toThrow(/needs a header/);
    const wide = join(dir, 'wide.csv');
    await writeFile(wide, 'a,b,c\n1,2,3\n');
    await expect(countRows({ path: wide, format: 'csv', width: 4 })).rejects.toThrow(UsageError);
  });
});
