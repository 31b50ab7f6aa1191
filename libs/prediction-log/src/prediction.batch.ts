import { PredictionRecordSchema, type PredictionRecord } from '@msp/contracts';

/**
 * A prediction log message holds one or more records as newline-delimited JSON (JSON.stringify
 * never writes a raw newline). Batching the records that waited together into one JetStream
 * message per model spares the NATS server a stored message per prediction — on shared cores
 * that was most of the log's cost. One record per message is the same format.
 */

/** Records in one message at most; the store numbers a message's records `sequence × this + index`. */
export const RECORDS_PER_MESSAGE = 1024;
/** Bytes of records in one message at most (NATS's default max_payload is 1 MiB). */
export const MESSAGE_BYTES = 512 * 1024;
/**
 * Messages a reader of the log asks JetStream for at once (≤ 8 MiB of batches; the monitor's two
 * readers share a connection): 1,000 of them could be 512 MiB, and past 64 MiB waiting for one
 * connection the NATS server cuts it off as a slow consumer — a monitor starting on a backlog
 * died of it. Counted in messages, not bytes: a byte-bounded pull that cannot fit the next whole
 * message stalls until its heartbeat is missed.
 */
export const LOG_PULL_MESSAGES = 16;

/** Encoded records → message bodies (and how many records each holds), in order, each within both limits. */
export function* packRecords(lines: readonly string[]): Generator<{ body: string; records: number }> {
  let start = 0;
  let bytes = 0;
  for (let i = 0; i < lines.length; i++) {
    const size = Buffer.byteLength(lines[i]!) + 1;
    if (i > start && (i - start >= RECORDS_PER_MESSAGE || bytes + size > MESSAGE_BYTES)) {
      yield { body: lines.slice(start, i).join('\n'), records: i - start };
      start = i;
      bytes = 0;
    }
    bytes += size;
  }
  if (start < lines.length) yield { body: lines.slice(start).join('\n'), records: lines.length - start };
}

/** A message's records, each checked against the record schema; lines that are not a record are counted, not thrown. */
export function unpackRecords(data: Uint8Array): { records: PredictionRecord[]; malformed: number } {
  const records: PredictionRecord[] = [];
  let malformed = 0;
  for (const line of new TextDecoder().decode(data).split('\n')) {
    if (line.length === 0) continue;
    try {
      const parsed = PredictionRecordSchema.safeParse(JSON.parse(line));
      if (parsed.success) records.push(parsed.data);
      else malformed += 1;
    } catch {
      malformed += 1;
    }
  }
  return { records, malformed };
}
