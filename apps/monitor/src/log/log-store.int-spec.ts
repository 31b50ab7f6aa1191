import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { PredictionRecord } from '@msp/contracts';
import { LogStoreRepository } from './log-store.repository.js';
import { openSqlClient, type SqlClient } from './sql.client.js';

const POSTGRES_URL = process.env['LOG_DATABASE_URL'] ?? 'postgres://postgres@127.0.0.1:5432/test';
// A schema of its own per run, so parallel runs on one database never meet.
const SCHEMA = `msp_spec_${process.pid}_${Date.now()}`;

function record(requestId: string, overrides: Partial<PredictionRecord> = {}): PredictionRecord {
  return {
    request_id: requestId,
    pattern: 'sync',
    model: 'iris-mlp',
    version: '1',
    ts: 1_000,
    input: { sha256: 'ab'.repeat(32), bytes: 10, truncated: false, data: [{ name: 'input', datatype: 'FP32', shape: [1, 4], data: [1, 2, 3, 4] }] },
    output: [{ name: 'label', datatype: 'BYTES', shape: [1], data: ['setosa'] }],
    status: 200,
    latency_ms: { total: 1.5 },
    ...overrides,
  };
}

/** The same behaviour from the embedded store (PGlite) and PostgreSQL: one SQL, two databases. */
describe.each([
  { name: 'embedded (PGlite)', open: () => openSqlClient({ kind: 'embedded', dataDir: 'memory://' }) },
  {
    name: 'PostgreSQL',
    open: async () => {
      const admin = await openSqlClient({ kind: 'postgres', url: POSTGRES_URL });
      await admin.query(`create schema ${SCHEMA}`);
      await admin.close();
      const url = new URL(POSTGRES_URL);
      url.searchParams.set('options', `-c search_path=${SCHEMA}`);
      return openSqlClient({ kind: 'postgres', url: url.toString() });
    },
  },
])('prediction log store: $name', ({ open }) => {
  let sql: SqlClient;
  let store: LogStoreRepository;

  beforeAll(async () => {
    sql = await open();
    store = new LogStoreRepository(sql);
    await store.migrate();
    await store.migrate(); // twice: every start migrates
  });

  afterAll(async () => {
    await sql?.query(`drop schema if exists ${SCHEMA} cascade`).catch(() => undefined);
    await sql?.close();
  });

  it('stores records once (a redelivered sequence is skipped) and reads them back newest first, filtered', async () => {
    await store.insert([
      { seq: 1, record: record('a', { ts: 1_000 }) },
      { seq: 2, record: record('b', { ts: 2_000, model: 'iris-trees' }) },
      { seq: 3, record: record('c', { ts: 3_000, status: 400, error: 'bad shape', output: undefined }) },
    ]);
    await store.insert([{ seq: 1, record: record('a', { ts: 1_000 }) }]);
    const all = await store.find({ limit: 100 });
    expect(all.map((r) => r.request_id)).toEqual(['c', 'b', 'a']);
    expect(all[2]).toEqual(record('a', { ts: 1_000 }));
    expect((await store.find({ model: 'iris-mlp', limit: 100 })).map((r) => r.request_id)).toEqual(['c', 'a']);
    expect((await store.find({ since: 2_000, limit: 100 })).map((r) => r.request_id)).toEqual(['c', 'b']);
    expect((await store.find({ status: 400, limit: 100 })).map((r) => r.error)).toEqual(['bad shape']);
    expect((await store.find({ limit: 1 })).map((r) => r.request_id)).toEqual(['c']);
  });

  it('joins ground truth to the logged request, and refuses feedback for an unknown one', async () => {
    expect(await store.feedback({ id: 'a', label: 'versicolor' }, 5_000)).toBe(true);
    expect(await store.feedback({ id: 'a', label: 'setosa' }, 6_000)).toBe(true);
    expect(await store.feedback({ id: 'nobody', label: 'setosa' }, 6_000)).toBe(false);
    const [a] = await store.find({ request_id: 'a', limit: 10 });
    expect(a?.feedback).toEqual({ label: 'setosa', ts: 6_000 });
    const [b] = await store.find({ request_id: 'b', limit: 10 });
    expect(b?.feedback).toBeUndefined();
  });
});
