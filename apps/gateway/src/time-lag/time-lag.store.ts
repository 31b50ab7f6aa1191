import { EventEmitter } from 'node:events';
import { Inject, Injectable } from '@nestjs/common';
import { MspError, type InferResponse } from '@msp/contracts';
import { REDIS, type Redis } from '@msp/redis';

export type TimeLagStatus = 'pending' | 'done' | 'failed';

/** What `GET /v1/time-lag/:id` answers, as stored in Redis. */
export interface TimeLagRecord {
  id: string;
  model: string;
  status: TimeLagStatus;
  /** The fast model's answer, sent to the client at once. */
  fast: InferResponse;
  /** The better model's answer, once it is ready. */
  better?: InferResponse;
  error?: string;
  /** When the request arrived (epoch ms) and how long each answer took from then. */
  created: number;
  ms: { fast: number; better?: number };
}

export const TIME_LAG_TTL_SECONDS = 600;

export const timeLagKey = (id: string): string => `msp:time-lag:${id}`;

/**
 * Late answers of the multi-stage pattern, in Redis (`msp:time-lag:<id>`, 10 min TTL) so any
 * gateway replica can serve them; this replica's own updates are also announced in-process so
 * its SSE streams push them without waiting for a poll.
 */
@Injectable()
export class TimeLagStore {
  private readonly updates = new EventEmitter();

  constructor(@Inject(REDIS) private readonly redis: Redis) {
    this.updates.setMaxListeners(0);
  }

  async save(record: TimeLagRecord): Promise<void> {
    try {
      await this.redis.set(timeLagKey(record.id), JSON.stringify(record), 'EX', TIME_LAG_TTL_SECONDS);
    } catch (error) {
      throw MspError.unavailable(`cannot store the time-lag answer: ${error instanceof Error ? error.message : String(error)}`, error);
    }
    this.updates.emit(record.id, record);
  }

  /** The record, or a 404 naming the id. */
  async get(id: string): Promise<TimeLagRecord> {
    let text: string | null;
    try {
      text = await this.redis.get(timeLagKey(id));
    } catch (error) {
      throw MspError.unavailable(`cannot read time-lag answers: ${error instanceof Error ? error.message : String(error)}`, error);
    }
    if (text === null) throw MspError.notFound(`no time-lag request '${id}' (unknown, or older than ${TIME_LAG_TTL_SECONDS} s)`);
    return JSON.parse(text) as TimeLagRecord;
  }

  /** Resolves with this replica's next update of `id`, or undefined after `ms`. */
  nextUpdate(id: string, ms: number, signal: AbortSignal): Promise<TimeLagRecord | undefined> {
    return new Promise((resolve) => {
      const done = (record?: TimeLagRecord): void => {
        clearTimeout(timer);
        this.updates.off(id, done);
        signal.removeEventListener('abort', onAbort);
        resolve(record);
      };
      const onAbort = (): void => done();
      const timer = setTimeout(done, ms);
      this.updates.on(id, done);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  }
}
