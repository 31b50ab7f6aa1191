import { mkdir } from 'node:fs/promises';
import { PGlite } from '@electric-sql/pglite';
import pg from 'pg';

/** The few things the log store asks of a PostgreSQL: parameterised queries and a transaction. */
export interface SqlClient {
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
  /** Runs `work` in one transaction (all its queries commit or none). */
  transaction(work: (tx: Pick<SqlClient, 'query'>) => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

/**
 * The store's database: PostgreSQL at `url` (deployments), or PGlite — PostgreSQL compiled to
 * WebAssembly, in-process, its files under `dataDir` — so `pnpm start` needs no database
 * server and both speak the same SQL: one store implementation, tested against both.
 */
export async function openSqlClient(store: { kind: 'postgres'; url: string } | { kind: 'embedded'; dataDir: string }): Promise<SqlClient> {
  return store.kind === 'postgres' ? openPostgres(store.url) : openEmbedded(store.dataDir);
}

async function openEmbedded(dataDir: string): Promise<SqlClient> {
  if (!dataDir.startsWith('memory://')) await mkdir(dataDir, { recursive: true });
  const db = await PGlite.create(dataDir);
  return {
    query: async <T>(sql: string, params?: unknown[]) => (await db.query<T>(sql, params)).rows,
    transaction: async (work) => {
      await db.transaction(async (tx) => work({ query: async <T>(sql: string, params?: unknown[]) => (await tx.query<T>(sql, params)).rows }));
    },
    close: () => db.close(),
  };
}

async function openPostgres(url: string): Promise<SqlClient> {
  // Every query bounded: a stuck database fails requests instead of hanging them.
  const pool = new pg.Pool({ connectionString: url, max: 4, connectionTimeoutMillis: 5_000, query_timeout: 10_000 });
  await pool.query('select 1');
  return {
    query: async <T>(sql: string, params?: unknown[]) => (await pool.query(sql, params)).rows as T[],
    transaction: async (work) => {
      const client = await pool.connect();
      try {
        await client.query('begin');
        await work({ query: async <T>(sql: string, params?: unknown[]) => (await client.query(sql, params)).rows as T[] });
        await client.query('commit');
      } catch (error) {
        await client.query('rollback').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}
