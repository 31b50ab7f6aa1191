import { describe, expect, it } from 'vitest';
import type { PredictionRecord } from '@msp/contracts';
import { MESSAGE_BYTES, packRecords, RECORDS_PER_MESSAGE, unpackRecords } from './prediction.batch.js';

const record = (id: string, extra = ''): PredictionRecord => ({
  request_id: id,
  pattern: 'sync',
  model: 'iris-mlp',
  ts: 1,
  input: { sha256: 'a'.repeat(64), bytes: extra.length, truncated: false, data: extra },
  status: 200,
  latency_ms: { total: 1 },
});
const encode = (value: unknown): Uint8Array => new TextEncoder().encode(value as string);

describe('prediction log messages', () => {
  it('packs records into messages within the record and byte limits, in order, and unpacks every one', () => {
    const many = Array.from({ length: RECORDS_PER_MESSAGE + 10 }, (_, i) => JSON.stringify(record(`r${i}`)));
    const messages = [...packRecords(many)];
    expect(messages.map((message) => message.records)).toEqual([RECORDS_PER_MESSAGE, 10]);
    const big = Array.from({ length: 4 }, (_, i) => JSON.stringify(record(`b${i}`, 'x'.repeat(MESSAGE_BYTES / 3))));
    const bigMessages = [...packRecords(big)];
    expect(bigMessages.length).toBe(2);
    for (const message of bigMessages) expect(Buffer.byteLength(message.body)).toBeLessThanOrEqual(MESSAGE_BYTES);
    const ids = [...messages, ...bigMessages].flatMap((message) => unpackRecords(encode(message.body)).records.map((r) => r.request_id));
    expect(ids).toEqual([...many.map((_, i) => `r${i}`), 'b0', 'b1', 'b2', 'b3']);
  });

  it('keeps a record larger than the byte limit in a message of its own rather than losing it', () => {
    const messages = [...packRecords([JSON.stringify(record('small')), JSON.stringify(record('huge', 'x'.repeat(MESSAGE_BYTES))), JSON.stringify(record('after'))])];
    expect(messages.map((message) => message.records)).toEqual([1, 1, 1]);
  });

  it('reads a one-record message (the format before batching) and counts lines that are not records', () => {
    expect(unpackRecords(encode(JSON.stringify(record('one')))).records.map((r) => r.request_id)).toEqual(['one']);
    const mixed = unpackRecords(encode([JSON.stringify(record('ok')), '{not json', JSON.stringify({ request_id: 'no-model' })].join('\n')));
    expect(mixed.records.map((r) => r.request_id)).toEqual(['ok']);
    expect(mixed.malformed).toBe(2);
  });
});
