import type { Feedback, LoggedPrediction, LogQuery, PredictionRecord } from '@msp/contracts';
import type { SqlClient } from './sql.client.js';

/** A record as consumed: its position in the stream makes a redelivered message a no-op. */
export interface StoredRecord {
  /** The message's stream sequence × RECORDS_PER_MESSAGE + the record's index in it (libs/prediction-log). */
  seq: number;
  record: PredictionRecord;
}

const SCHEMA = [
  `create table if not exists predictions (
     seq bigint primary key,
     request_id text not null,
     ts bigint not null,
     model text not null,
     version text,
     pattern text not null,
     status integer not null,
     trace_id text,
     input_sha256 text not null,
     record jsonb not null)`,
  'create index if not exists predictions_model_ts on predictions (model, ts)',
  'create index if not exists predictions_ts on predictions (ts)',
  'create index if not exists predictions_request_id on predictions (request_id)',
  "create index if not exists predictions_experiment on predictions ((record->'experiment'->>'id'), ts)",
  `create table if not exists feedback (
     request_id text primary key,
     label jsonb not null,
     ts bigint not null)`,
  'create index if not exists feedback_ts on feedback (ts)',
];

interface LoggedRow {
  record: PredictionRecord | string;
  label: unknown;
  feedback_ts: string | number | null;
}

function withFeedback(row: LoggedRow): LoggedPrediction {
  const record = (typeof row.record === 'string' ? JSON.parse(row.record) : row.record) as PredictionRecord;
  return row.feedback_ts === null ? record : { ...record, feedback: { label: row.label, ts: Number(row.feedback_ts) } };
}

const COLUMNS = ['seq', 'request_id', 'ts', 'model', 'version', 'pattern', 'status', 'trace_id', 'input_sha256', 'record'] as const;

/** The prediction log's table and the ground truth joined to it, in PostgreSQL (or PGlite). */
export class LogStoreRepository {
  constructor(private readonly sql: SqlClient) {}

  async migrate(): Promise<void> {
    for (const statement of SCHEMA) await this.sql.query(statement);
  }

  /** Inserts records in one transaction; one already stored (same position in the stream) is skipped. */
  async insert(records: readonly StoredRecord[]): Promise<void> {
    if (records.length === 0) return;
    const params: unknown[] = [];
    const rows = records.map(({ seq, record }) => {
      const values = [seq, record.request_id, record.ts, record.model, record.version ?? null, record.pattern, record.status, record.trace_id ?? null, record.input.sha256, JSON.stringify(record)];
      const placeholders = values.map((value) => {
        params.push(value);
        return `$${params.length}`;
      });
      placeholders[placeholders.length - 1] += '::jsonb';
      return `(${placeholders.join(', ')})`;
    });
    await this.sql.transaction((tx) =>
      tx.query(`insert into predictions (${COLUMNS.join(', ')}) values ${rows.join(', ')} on conflict (seq) do nothing`, params).then(() => undefined),
    );
  }

  /** Newest first, with the feedback posted for each request (if any). */
  async find(query: LogQuery): Promise<LoggedPrediction[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: string, value: unknown): void => {
      params.push(value);
      where.push(clause.replace('?', `$${params.length}`));
    };
    if (query.model !== undefined) add('p.model = ?', query.model);
    if (query.since !== undefined) add('p.ts >= ?', query.since);
    if (query.status !== undefined) add('p.status = ?', query.status);
    if (query.request_id !== undefined) add('p.request_id = ?', query.request_id);
    params.push(query.limit);
    const rows = await this.sql.query<LoggedRow>(
      `select p.record, f.label, f.ts as feedback_ts from predictions p left join feedback f on f.request_id = p.request_id
       ${where.length > 0 ? `where ${where.join(' and ')}` : ''} order by p.ts desc, p.seq desc limit $${params.length}`,
      params,
    );
    return rows.map(withFeedback);
  }

  /** An experiment's newest records (every side and variant), at most `limit`, at or after `since` (epoch ms), with the feedback posted for each. */
  async experiment(id: string, limit: number, since = 0): Promise<LoggedPrediction[]> {
    const rows = await this.sql.query<LoggedRow>(
      `select p.record, f.label, f.ts as feedback_ts from predictions p left join feedback f on f.request_id = p.request_id
       where p.record->'experiment'->>'id' = $1 and p.ts >= $3 order by p.ts desc, p.seq desc limit $2`,
      [id, limit, since],
    );
    return rows.map(withFeedback);
  }

  /** Stores the ground truth of a logged request; false when no prediction has that id. */
  async feedback(feedback: Feedback, ts: number): Promise<boolean> {
    const found = await this.sql.query<{ one: number }>('select 1 as one from predictions where request_id = $1 limit 1', [feedback.id]);
    if (found.length === 0) return false;
    await this.sql.query(
      `insert into feedback (request_id, label, ts) values ($1, $2::jsonb, $3)
       on conflict (request_id) do update set label = excluded.label, ts = excluded.ts`,
      [feedback.id, JSON.stringify(feedback.label), ts],
    );
    return true;
  }

  /** The ground truth posted at or after `since` (epoch ms): what the monitoring window can join. */
  async feedbackSince(since: number): Promise<{ requestId: string; label: unknown }[]> {
    const rows = await this.sql.query<{ request_id: string; label: unknown }>('select request_id, label from feedback where ts >= $1', [since]);
    return rows.map((row) => ({ requestId: row.request_id, label: row.label }));
  }
}
