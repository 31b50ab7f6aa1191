import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import { encodePredictorMetadata, ServiceNames } from '@msp/contracts';
import { addMicroService, type Service } from '@msp/messaging';
import { findPredictor, probe } from './container-probe.js';

// Against the real nats-server (see .ci/run): the probe's hand-written protocol client must
// understand what a real server and a real @nats-io/services micro service send.
const NATS_URL = process.env['NATS_URL'] ?? 'nats://127.0.0.1:4222';
// A model name of this run only, so real predictors on the same server never answer for it.
const model = `probe-spec-${process.pid}-${Date.now()}`;

let nc: NatsConnection;
let service: Service;

beforeAll(async () => {
  nc = await connect({ servers: NATS_URL });
  service = await addMicroService(nc, {
    name: ServiceNames.predictor,
    version: '0.1.0',
    description: 'container probe spec',
    metadata: encodePredictorMetadata({ model, version: '7', platform: 'onnxruntime', inputs: [], outputs: [], labels: [] }),
  });
});

afterAll(async () => {
  await service?.stop();
  await nc?.drain();
});

describe('container probe against a real NATS server', () => {
  it('finds a registered predictor micro service by its model', async () => {
    const found = await findPredictor(NATS_URL, model, 2_000);
    expect(found).toEqual({ id: service.info().id, version: '7' });
    expect(await probe('ready', { MSP_APP: 'predictor', MODEL_NAME: model, NATS_URL })).toMatchObject({ ok: true });
  });

  it('is not ready for a model nobody serves', async () => {
    const result = await probe('ready', { MSP_APP: 'predictor', MODEL_NAME: `${model}-absent`, NATS_URL }, { timeoutMs: 500 });
    expect(result.ok).toBe(false);
    expect(result.message).toMatch(/no predictor for .*-absent answered/);
  });
});
