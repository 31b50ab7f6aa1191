import { describe, expect, it } from 'vitest';
import { parseBatchCommand, UsageError } from './batch-options.js';

const options = (argv: string[], env: Record<string, string> = {}) => {
  const parsed = parseBatchCommand(argv, env, '/work');
  if (parsed.help) throw new Error('unexpected help');
  return parsed.options;
};

describe('parseBatchCommand', () => {
  it('has defaults for everything but the model and the files', () => {
    expect(options(['--model', 'iris-mlp', '--input', 'in.csv', '--output', 'out/o.ndjson'])).toEqual({
      model: 'iris-mlp',
      input: '/work/in.csv',
      output: '/work/out/o.ndjson',
      errors: undefined,
      format: 'csv',
      columns: undefined,
      chunkSize: 500,
      concurrency: 3,
      timeoutMs: 10_000,
      retries: 5,
      overwrite: false,
      progressMs: 500,
      natsServers: ['nats://127.0.0.1:4222'],
      jetStreamReplicas: 1,
      logLevel: 'info',
      predictionLog: { enabled: true, maxDataBytes: 4_096, maxBuffered: 10_000 },
    });
  });

  it('reads the environment (a CronJob) and lets arguments override it', () => {
    const env = {
      BATCH_MODEL: 'iris-trees',
      BATCH_INPUT: '/d/in.jsonl',
      BATCH_OUTPUT: '/d/out.ndjson',
      BATCH_CHUNK_SIZE: '100',
      BATCH_COLUMNS: 'a, b,c,d',
      NATS_URL: 'nats://nats:4222',
      LOG_LEVEL: 'warn',
    };
    const o = options(['--chunk-size', '50', '--errors', 'err.ndjson', '--overwrite'], env);
    expect(o).toMatchObject({
      model: 'iris-trees',
      input: '/d/in.jsonl',
      format: 'ndjson',
      errors: '/work/err.ndjson',
      columns: ['a', 'b', 'c', 'd'],
      chunkSize: 50,
      overwrite: true,
      natsServers: ['nats://nats:4222'],
      jetStreamReplicas: 1,
      logLevel: 'warn',
    });
  });

  it('answers --help', () => {
    expect(parseBatchCommand(['-h'], {}, '/')).toEqual({ help: true });
  });

  it('lists every bad option in one UsageError, naming flag and variable', () => {
    let error: unknown;
    try {
      parseBatchCommand(['--model', 'Iris_MLP', '--chunk-size', '0', '--timeout-ms', 'soon'], {}, '/');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(UsageError);
    const message = (error as Error).message;
    expect(message).toMatch(/--model \(or BATCH_MODEL\)="Iris_MLP": expected a kebab-case model name/);
    expect(message).toMatch(/--input \(or BATCH_INPUT\) is required/);
    expect(message).toMatch(/--output \(or BATCH_OUTPUT\) is required/);
    expect(message).toMatch(/--chunk-size \/ BATCH_CHUNK_SIZE="0"/);
    expect(message).toMatch(/--timeout-ms \/ BATCH_TIMEOUT_MS="soon"/);
  });

  it.each([
    [['--model', 'm', '--input', 'a.csv', '--output', 'a.csv'], /must not be the input/],
    [['--model', 'm', '--input', 'a.txt', '--output', 'b.ndjson'], /pass --format/],
    [['--model', 'm', '--input', 'a.csv', '--output', 'b', '--columns', 'a,,b'], /comma-separated/],
    [['--model', 'm', '--bogus'], /Unknown option '--bogus'/],
    [['extra'], /positional/],
  ])('refuses %j', (argv, message) => {
    expect(() => parseBatchCommand(argv, {}, '/')).toThrow(message);
  });
});
