import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { integer, logLevel, natsServers, optionalInteger } from './env.fields.js';
import { ConfigError, parseEnv } from './env.loader.js';

const Schema = z.object({ PORT: integer(8080, 0, 65_535), NATS_URL: natsServers(), LOG_LEVEL: logLevel(), HTTP_PORT: optionalInteger(0) });

describe('parseEnv', () => {
  it('applies defaults, also for empty variables', () => {
    expect(parseEnv('app', Schema, { PORT: '', NATS_URL: ' ' })).toEqual({
      PORT: 8080,
      NATS_URL: ['nats://127.0.0.1:4222'],
      LOG_LEVEL: 'info',
      HTTP_PORT: undefined,
    });
  });

  it('reads lists, numbers and case-insensitive levels', () => {
    expect(parseEnv('app', Schema, { PORT: '9000', NATS_URL: 'nats://a:4222, b:4223', LOG_LEVEL: 'DEBUG', HTTP_PORT: '81' })).toEqual({
      PORT: 9000,
      NATS_URL: ['nats://a:4222', 'b:4223'],
      LOG_LEVEL: 'debug',
      HTTP_PORT: 81,
    });
  });

  it('names every bad variable, with what was given, in one error', () => {
    let error: unknown;
    try {
      parseEnv('gateway', Schema, { PORT: '1e3', NATS_URL: 'nats://a b', LOG_LEVEL: 'loud', HTTP_PORT: '-1' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const { problems, message } = error as ConfigError;
    expect(problems).toEqual([
      'PORT="1e3": expected a whole number',
      expect.stringMatching(/^NATS_URL="nats:\/\/a b": expected nats:\/\/host:port/),
      expect.stringMatching(/^LOG_LEVEL="loud": /),
      'HTTP_PORT="-1": expected a whole number',
    ]);
    expect(message).toMatch(/^invalid gateway configuration:/);
  });
});
