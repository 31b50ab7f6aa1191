import 'reflect-metadata';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { INestApplicationContext, INestMicroservice } from '@nestjs/common';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { startNatsService } from '@msp/messaging';
import { createLogger } from '@msp/telemetry';
import type { ModelRunner } from '@msp/model-runtime';
import { writeArgmaxClassifier } from '@msp/model-runtime/testing';
import { AppModule } from '../app.module.js';
import { loadPredictorConfig, predictorName } from '../config/predictor-config.schema.js';
import { ServedModels } from '../model/served-model.js';

/** Test helpers for the predictor's integration specs (real NATS, real onnxruntime). */

export const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';

/** The trainer's output at the repository root (git-ignored; `pnpm train` makes it). */
export const TRAINED_MODELS = fileURLToPath(new URL('../../../../models', import.meta.url));

export function trainedModelPresent(name: string): boolean {
  return existsSync(join(TRAINED_MODELS, name, 'manifest.json')) && existsSync(join(TRAINED_MODELS, name, 'model.onnx'));
}

/** A plain NATS client, as any non-Nest caller would use; fails with a hint when NATS is down. */
export async function connectTestClient(): Promise<NatsConnection> {
  try {
    return await connect({ servers: NATS_URL, name: 'predictor-spec', timeout: 2000 });
  } catch (error) {
    throw new Error(
      `these tests need nats-server with JetStream on ${NATS_URL} (start it with \`nats-server -js\`): ${String(error)}`,
    );
  }
}

/**
 * A fixture classifier (no trained model needed) under a unique name, so parallel runs and
 * other predictors on the same NATS never share its subjects: class = the largest of the first
 * three features, labels 'first' | 'second' | 'third'.
 */
export async function fixtureModelsDir(): Promise<{ modelsDir: string; name: string; cleanup: () => Promise<void> }> {
  const modelsDir = await mkdtemp(join(tmpdir(), 'msp-predictor-'));
  const name = `fixture-${randomBytes(4).toString('hex')}`;
  await writeArgmaxClassifier(modelsDir, { name, version: '3' });
  return { modelsDir, name, cleanup: () => rm(modelsDir, { recursive: true, force: true }) };
}

/**
 * A copy of a trained model under a unique name, so no other predictor on the same NATS (a
 * parallel spec, a running topology) shares its subjects and queue group.
 */
export async function trainedModelCopy(model: string): Promise<{ modelsDir: string; name: string; cleanup: () => Promise<void> }> {
  const modelsDir = await mkdtemp(join(tmpdir(), 'msp-predictor-'));
  const name = `${model}-${randomBytes(4).toString('hex')}`;
  await cp(join(TRAINED_MODELS, model), join(modelsDir, name), { recursive: true });
  const manifestPath = join(modelsDir, name, 'manifest.json');
  const manifest = JSON.parse(await readFile(manifestPath, 'utf8')) as Record<string, unknown>;
  await writeFile(manifestPath, JSON.stringify({ ...manifest, name }));
  return { modelsDir, name, cleanup: () => rm(modelsDir, { recursive: true, force: true }) };
}

/** Boots the predictor's AppModule in this process (NATS only), as main.ts does without HTTP_PORT. */
export async function startPredictor(env: Record<string, string>): Promise<INestMicroservice> {
  const config = loadPredictorConfig({ NATS_URL, LOG_LEVEL: 'silent', ...env });
  const logger = createLogger({ service: predictorName(config), level: config.logLevel });
  return startNatsService(AppModule.forRoot(config, logger), logger);
}

/** The runner a started predictor serves a model with now. */
export function runnerOf(app: INestApplicationContext, model: string): ModelRunner {
  const served = app.get(ServedModels).find(model);
  if (!served) throw new Error(`the predictor does not serve ${model}`);
  return served.runner;
}
