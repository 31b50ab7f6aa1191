import { describe, expect, it } from 'vitest';
import { chunkOutput, chunksOf } from './batch.runner.js';
import type { InputRow } from './input-rows.js';

async function* rows(n: number): AsyncGenerator<InputRow> {
  for (let row = 0; row < n; row++) yield row % 4 === 3 ? { row, error: `row ${row}: bad` } : { row, features: [row] };
}

describe('chunksOf', () => {
  it('groups rows into chunks, the last one short', async () => {
    const chunks = [];
    for await (const chunk of chunksOf(rows(7), 3, 0)) chunks.push([chunk.index, chunk.rows.map((r) => r.row)]);
    expect(chunks).toEqual([
      [0, [0, 1, 2]],
      [1, [3, 4, 5]],
      [2, [6]],
    ]);
  });

  it('skips the rows a checkpoint has done, keeping chunk numbers', async () => {
    const chunks = [];
    for await (const chunk of chunksOf(rows(7), 3, 6)) chunks.push([chunk.index, chunk.rows.map((r) => r.row)]);
    expect(chunks).toEqual([[2, [6]]]);
  });
});

describe('chunkOutput', () => {
  it('writes scored rows in order and leaves failed rows to the failures', () => {
    const chunk = {
      index: 0,
      rows: [
        { row: 2, id: 'a', features: [1] },
        { row: 3, id: 'b', error: 'row 3: bad' },
        { row: 4, features: [2] },
      ] satisfies InputRow[],
    };
    const { lines, failures } = chunkOutput(chunk, [
      { label: 'setosa', probabilities: [1, 0] },
      { label: 'virginica', probabilities: [0, 1] },
    ]);
    expect(lines).toBe(
      '{"row":2,"id":"a","label":"setosa","probabilities":[1,0]}\n{"row":4,"label":"virginica","probabilities":[0,1]}\n',
    );
    expect(failures).toEqual([{ row: 3, id: 'b', reason: 'row 3: bad' }]);
  });
});
