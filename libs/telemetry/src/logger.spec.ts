import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createLogger } from './logger.js';

describe('createLogger', () => {
  it('writes each line with its own fields only, never an earlier line’s', () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({ write: (chunk, _encoding, done) => (lines.push(JSON.parse(String(chunk)) as Record<string, unknown>), done()) });
    const logger = createLogger({ service: 'spec', destination: sink });
    logger.info({ model: 'iris-mlp', port: 8080 }, 'first');
    logger.info({ requestId: 'r1' }, 'second');
    logger.info('third');
    expect(lines.map(({ msg, model, port, requestId }) => ({ msg, model, port, requestId }))).toEqual([
      { msg: 'first', model: 'iris-mlp', port: 8080, requestId: undefined },
      { msg: 'second', model: undefined, port: undefined, requestId: 'r1' },
      { msg: 'third', model: undefined, port: undefined, requestId: undefined },
    ]);
    expect(lines[2]).toMatchObject({ service: 'spec', level: 'info' });
  });
});
