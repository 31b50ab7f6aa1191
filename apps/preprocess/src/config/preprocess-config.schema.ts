import { z } from 'zod';
import { integer, logLevel, jetStreamReplicas, natsServers, opsPort, parseEnv, type LogLevel, natsAuthEnv, natsCredentialsOf, type NatsCredentials } from '@msp/config';

/** The preprocess service's environment: every variable, its default, and what is valid. */
export const PreprocessEnvSchema = z.object({
  NATS_URL: natsServers(),
  ...natsAuthEnv,
  JETSTREAM_REPLICAS: jetStreamReplicas(),
  REQUEST_TIMEOUT_MS: integer(10_000, 1),
  /** More images in one request are refused with a 400. */
  MAX_IMAGES: integer(256, 1, 100_000),
  /** A larger encoded image is refused with a 413. */
  MAX_IMAGE_BYTES: integer(4 * 1024 * 1024, 64),
  /** An image with more pixels is refused with a 413 before it is decoded. */
  MAX_IMAGE_PIXELS: integer(40_000_000, 64),
  /** Larger images are shrunk to fit this square before the digit transform. */
  MAX_IMAGE_SIDE: integer(512, 28, 8192),
  OPS_PORT: opsPort(),
  LOG_LEVEL: logLevel(),
});

export interface PreprocessConfig {
  natsServers: string[];
  /** Replicas of the streams and buckets it creates (JETSTREAM_REPLICAS). */
  jetStreamReplicas: number;
  /** NATS_USER / NATS_PASSWORD; anonymous when unset. */
  natsCredentials?: NatsCredentials | undefined;
  /** Deadline of a request that carries none (NATS `Msp-Deadline`). */
  requestTimeoutMs: number;
  maxImages: number;
  maxImageBytes: number;
  maxImagePixels: number;
  maxImageSide: number;
  /** Set when the ops server (probes, /metrics) listens on this port. */
  opsPort?: number;
  logLevel: LogLevel;
}

/** Reads and validates the environment; the one place of the preprocess app that reads it. */
export function loadPreprocessConfig(env: Record<string, string | undefined>): PreprocessConfig {
  const vars = parseEnv('preprocess', PreprocessEnvSchema, env);
  return {
    natsServers: vars.NATS_URL,
    jetStreamReplicas: vars.JETSTREAM_REPLICAS,
    natsCredentials: natsCredentialsOf(vars),
    requestTimeoutMs: vars.REQUEST_TIMEOUT_MS,
    maxImages: vars.MAX_IMAGES,
    maxImageBytes: vars.MAX_IMAGE_BYTES,
    maxImagePixels: vars.MAX_IMAGE_PIXELS,
    maxImageSide: vars.MAX_IMAGE_SIDE,
    ...(vars.OPS_PORT === undefined ? {} : { opsPort: vars.OPS_PORT }),
    logLevel: vars.LOG_LEVEL,
  };
}
