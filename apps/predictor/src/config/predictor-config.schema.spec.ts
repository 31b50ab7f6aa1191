import { describe, expect, it } from 'vitest';
import { ConfigError } from '@msp/config';
import { loadPredictorConfig } from './predictor-config.schema.js';

function errorOf(env: Record<string, string>): ConfigError {
  try {
    loadPredictorConfig(env, '/srv');
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return error as ConfigError;
  }
  throw new Error('expected the configuration to be refused');
}

describe('loadPredictorConfig', () => {
  it('needs only MODEL_NAME; everything else has a default', () => {
    expect(loadPredictorConfig({ MODEL_NAME: 'iris-mlp' }, '/srv')).toEqual({
      models: ['iris-mlp'],
      modelsDir: '/srv/models',
      modelSource: 'files',
      natsServers: ['nats://127.0.0.1:4222'],
      jetStreamReplicas: 1,
      requestTimeoutMs: 10_000,
      maxTimeoutMs: 60_000,
      maxBatchRows: 1024,
      dynamicBatchRows: { 'iris-mlp': 1 },
      maxInFlight: 256,
      faultDelayMs: 0,
      faultBusyMs: 0,
      faultErrorPercent: 0,
      apiKeys: [],
      logLevel: 'info',
      predictionLog: { enabled: true, maxDataBytes: 4_096, maxBuffered: 10_000 },
    });
  });

  it('reads every variable; HTTP_PORT turns on web-single', () => {
    const config = loadPredictorConfig(
      {
        MODEL_NAME: 'mnist-cnn',
        MODELS_DIR: '../artefacts',
        MODEL_SOURCE: 'registry',
        NATS_URL: 'nats://a:4222, b:4223',
        HTTP_PORT: '8081',
        HTTP_HOST: '127.0.0.1',
        OPS_PORT: '9090',
        REQUEST_TIMEOUT_MS: '500',
        MAX_TIMEOUT_MS: '2000',
        BODY_LIMIT_BYTES: '4096',
        MAX_BATCH_ROWS: '32',
        DYNAMIC_BATCH_ROWS: '16',
        MAX_IN_FLIGHT: '8',
        FAULT_DELAY_MS: '250',
        LOG_LEVEL: 'Debug',
        PREDICTION_LOG: 'off',
        PREDICTION_LOG_MAX_INPUT_BYTES: '100',
        PREDICTION_LOG_BUFFER: '50',
      },
      '/srv/app',
    );
    expect(config).toEqual({
      models: ['mnist-cnn'],
      modelsDir: '/srv/artefacts',
      modelSource: 'registry',
      natsServers: ['nats://a:4222', 'b:4223'],
      jetStreamReplicas: 1,
      http: { port: 8081, host: '127.0.0.1', bodyLimitBytes: 4096 },
      requestTimeoutMs: 500,
      maxTimeoutMs: 2000,
      maxBatchRows: 32,
      dynamicBatchRows: { 'mnist-cnn': 16 },
      opsPort: 9090,
      maxInFlight: 8,
      faultDelayMs: 250,
      faultBusyMs: 0,
      faultErrorPercent: 0,
      apiKeys: [],
      logLevel: 'debug',
      predictionLog: { enabled: false, maxDataBytes: 100, maxBuffered: 50 },
    });
  });

  it('treats empty variables as unset', () => {
    const config = loadPredictorConfig({ MODEL_NAME: 'iris-mlp', HTTP_PORT: '', NATS_URL: ' ', LOG_LEVEL: '' }, '/srv');
    expect(config.http).toBeUndefined();
    expect(config.natsServers).toEqual(['nats://127.0.0.1:4222']);
  });

  it('pins a registry version with MODEL_VERSION, and only with the registry', () => {
    expect(loadPredictorConfig({ MODEL_NAME: 'iris-mlp', MODEL_SOURCE: 'registry', MODEL_VERSION: '3' }, '/srv')).toMatchObject({
      modelSource: 'registry',
      modelVersion: '3',
    });
    expect(errorOf({ MODEL_NAME: 'iris-mlp', MODEL_VERSION: '3' }).message).toMatch(/MODEL_VERSION="3": needs MODEL_SOURCE=registry/);
  });

  it('MODEL_NAMES: several models in one process, DYNAMIC_BATCH_ROWS per model with a default for the rest', () => {
    expect(
      loadPredictorConfig({ MODEL_NAMES: ' iris-mlp, mnist-cnn ,iris-softmax', DYNAMIC_BATCH_ROWS: '2, mnist-cnn=32' }, '/srv'),
    ).toMatchObject({
      models: ['iris-mlp', 'mnist-cnn', 'iris-softmax'],
      dynamicBatchRows: { 'iris-mlp': 2, 'mnist-cnn': 32, 'iris-softmax': 2 },
    });
    expect(loadPredictorConfig({ MODEL_NAMES: 'iris-mlp', DYNAMIC_BATCH_ROWS: 'iris-mlp=8' }, '/srv').dynamicBatchRows).toEqual({ 'iris-mlp': 8 });
  });

  it('refuses a bad model list or per-model setting, saying what is wrong', () => {
    expect(errorOf({ MODEL_NAME: 'iris-mlp', MODEL_NAMES: 'iris-mlp,iris-softmax' }).message).toMatch(/MODEL_NAMES=.*not both/);
    expect(errorOf({ MODEL_NAMES: 'iris-mlp,iris-mlp' }).message).toMatch(/MODEL_NAMES="iris-mlp,iris-mlp": names a model twice/);
    expect(errorOf({ MODEL_NAMES: 'iris-mlp,Iris.Trees' }).message).toMatch(/MODEL_NAMES=.*kebab-case/);
    expect(errorOf({ MODEL_NAMES: ' , ' }).message).toMatch(/MODEL_NAMES=.*at least one model/);
    expect(errorOf({ MODEL_NAMES: 'iris-mlp,iris-softmax', MODEL_SOURCE: 'registry' }).message).toMatch(
      /MODEL_NAMES=.*MODELS_DIR only \(MODEL_SOURCE=files\)/,
    );
    expect(errorOf({ MODEL_NAMES: 'iris-mlp', DYNAMIC_BATCH_ROWS: 'mnist-cnn=32' }).message).toMatch(
      /DYNAMIC_BATCH_ROWS=.*names a model this predictor does not serve/,
    );
    expect(errorOf({ MODEL_NAME: 'iris-mlp', DYNAMIC_BATCH_ROWS: 'iris-mlp=0' }).message).toMatch(/DYNAMIC_BATCH_ROWS=.*'iris-mlp=0' is not/);
  });

  it('requires MODEL_NAME', () => {
    expect(errorOf({}).problems).toEqual([expect.stringMatching(/^MODEL_NAME=\(unset\): is required/)]);
  });

  it('lists every bad variable in one error', () => {
    const env = {
      MODEL_NAME: 'Iris.MLP',
      NATS_URL: 'nats://a b',
      HTTP_PORT: '80000',
      REQUEST_TIMEOUT_MS: '0',
      BODY_LIMIT_BYTES: '1.5',
      MAX_BATCH_ROWS: '-3',
      FAULT_DELAY_MS: 'slow',
      LOG_LEVEL: 'loud',
      MODEL_SOURCE: 'cloud',
    };
    const error = errorOf(env);
    for (const name of Object.keys(env)) expect(error.message).toContain(`${name}=`);
    expect(error.problems).toHaveLength(Object.keys(env).length);
    expect(error.message).toContain('MODEL_NAME="Iris.MLP": must be a kebab-case model name');
  });

  it('refuses a default timeout above the maximum', () => {
    expect(errorOf({ MODEL_NAME: 'iris-mlp', REQUEST_TIMEOUT_MS: '5000', MAX_TIMEOUT_MS: '1000' }).message).toMatch(
      /REQUEST_TIMEOUT_MS="5000": must not be larger than MAX_TIMEOUT_MS/,
    );
  });
});
