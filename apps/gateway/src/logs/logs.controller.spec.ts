import { describe, expect, it } from 'vitest';
import { MspError } from '@msp/contracts';
import { parseLogQuery } from './logs.controller.js';

describe('parseLogQuery (GET /v1/logs)', () => {
  it('reads model, since (epoch ms or ISO date), status, request id and limit', () => {
    expect(parseLogQuery({})).toEqual({ limit: 100 });
    expect(parseLogQuery({ model: 'iris-mlp', since: '1700000000000', status: '504', limit: '5', request_id: 'r1' })).toEqual({
      model: 'iris-mlp',
      since: 1_700_000_000_000,
      status: 504,
      limit: 5,
      request_id: 'r1',
    });
    expect(parseLogQuery({ since: '2026-11-30T00:00:00Z' }).since).toBe(Date.UTC(2026, 10, 30));
  });

  it('refuses what it cannot read with a 400 that names the parameter', () => {
    for (const [query, name] of [
      [{ since: 'yesterday' }, 'since'],
      [{ status: 'ok' }, 'status'],
      [{ limit: '0' }, 'limit'],
      [{ limit: '5000' }, 'limit'],
    ] as const) {
      let error: unknown;
      try {
        parseLogQuery(query);
      } catch (caught) {
        error = caught;
      }
      expect(MspError.is(error) && error.code).toBe(400);
      expect((error as Error).message).toContain(name);
    }
  });
});
