import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConfigError, parseEnv } from './env.loader.js';
import { natsAuthEnv, natsCredentialsOf, NatsEnvSchema } from './env.fields.js';

describe('NATS_USER / NATS_PASSWORD', () => {
  const schema = z.object(natsAuthEnv);

  it('is anonymous when NATS_USER is unset or empty', () => {
    expect(natsCredentialsOf(parseEnv('app', schema, {}))).toBeUndefined();
    expect(natsCredentialsOf(parseEnv('app', schema, { NATS_USER: ' ', NATS_PASSWORD: 'ignored' }))).toBeUndefined();
  });

  it('connects as the user with its password', () => {
    expect(natsCredentialsOf(parseEnv('app', schema, { NATS_USER: 'predictor-iris-mlp', NATS_PASSWORD: 's3cret' }))).toEqual({
      user: 'predictor-iris-mlp',
      password: 's3cret',
    });
    expect(natsCredentialsOf(parseEnv('app', schema, { NATS_USER: 'gateway', NATS_PASSWORD: '' }))).toEqual({ user: 'gateway', password: undefined });
  });

  it('refuses a user name that cannot be one, naming the variable', () => {
    expect(() => parseEnv('app', schema, { NATS_USER: 'Gate way' })).toThrow(ConfigError);
    expect(() => parseEnv('app', schema, { NATS_USER: 'Gate way' })).toThrow(/NATS_USER="Gate way"/);
  });

  it('is part of the command-line tools’ NATS schema', () => {
    expect(natsCredentialsOf(parseEnv('tool', NatsEnvSchema, { NATS_USER: 'admin', NATS_PASSWORD: 'x' }))).toEqual({ user: 'admin', password: 'x' });
  });
});
