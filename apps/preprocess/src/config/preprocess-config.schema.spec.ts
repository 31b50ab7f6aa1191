import { describe, expect, it } from 'vitest';
import { ConfigError } from '@msp/config';
import { loadPreprocessConfig } from './preprocess-config.schema.js';

describe('loadPreprocessConfig', () => {
  it('has a default for everything', () => {
    expect(loadPreprocessConfig({})).toEqual({
      natsServers: ['nats://127.0.0.1:4222'],
      jetStreamReplicas: 1,
      requestTimeoutMs: 10_000,
      maxImages: 256,
      maxImageBytes: 4 * 1024 * 1024,
      maxImagePixels: 40_000_000,
      maxImageSide: 512,
      logLevel: 'info',
    });
  });

  it('reads every variable', () => {
    const config = loadPreprocessConfig({
      NATS_URL: 'nats://a:4222',
      REQUEST_TIMEOUT_MS: '500',
      MAX_IMAGES: '8',
      MAX_IMAGE_BYTES: '1024',
      MAX_IMAGE_PIXELS: '1000000',
      MAX_IMAGE_SIDE: '256',
      LOG_LEVEL: 'debug',
    });
    expect(config).toMatchObject({ maxImages: 8, maxImageBytes: 1024, maxImagePixels: 1_000_000, maxImageSide: 256 });
  });

  it('lists every bad variable in one error', () => {
    let error: unknown;
    try {
      loadPreprocessConfig({ MAX_IMAGES: '0', MAX_IMAGE_SIDE: '10', LOG_LEVEL: 'loud' });
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).problems).toHaveLength(3);
  });
});
