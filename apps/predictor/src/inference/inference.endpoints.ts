import { encodePredictorMetadata, QueueGroups, ServiceNames, Subjects } from '@msp/contracts';
import type { NatsServiceOptions, NatsServiceUnit } from '@msp/messaging';
import type { ModelRunner } from '@msp/model-runtime';
import { PREDICTOR_VERSION } from '../app.info.js';
import type { PredictorConfig } from '../config/predictor-config.schema.js';
import type { ServedModels } from '../model/served-model.js';

/** Names of the micro service endpoints (`$SRV.STATS` reports per endpoint), used as `@MessagePattern`s. */
export const InferEndpoints = {
  infer: 'infer',
  inferVersion: 'infer-version',
  /** This replica alone (`msp.infer-replica.<model>.<id>`): the gateway picks replicas by it and ejects one that stops answering. */
  inferReplica: 'infer-replica',
  /** The ONNX file this version runs (edge prediction in the console). */
  artefact: 'artefact',
} as const;

/**
 * One model served as a NATS micro service (`$SRV.PING|INFO|STATS.msp-predictor`) whose
 * metadata says which model and version it serves, with two endpoints in the model's queue
 * group: `msp.infer.<model>` and `msp.infer.<model>.<version>`, one of this replica alone,
 * `msp.infer-replica.<model>.<id>` (how the gateway sends to the replica it picked), and
 * `msp.artefact.<model>.<version>`, which hands out the ONNX file itself. Each tells the handler which model it serves
 * (`context.tag`), as one process may serve several.
 */
export function inferenceServiceUnit(runner: ModelRunner, config: PredictorConfig): NatsServiceUnit {
  const { name, version } = runner;
  const queue = QueueGroups.predictor(name);
  return {
    key: name,
    service: {
      name: ServiceNames.predictor,
      version: PREDICTOR_VERSION,
      description: `Predictor serving model ${name}@${version} (${runner.metadata.platform})`,
      metadata: encodePredictorMetadata(runner.predictorModel),
    },
    endpoints: {
      // A binary body decodes straight into the typed arrays onnxruntime takes.
      // A pinned version (a canary) takes only the requests routed to its version: both
      // endpoints listen on the version's subject (one queue group, so no message twice).
      [InferEndpoints.infer]: {
        subject: config.modelVersion === undefined ? Subjects.infer(name) : Subjects.inferVersion(name, version),
        queue,
        numbersAs: 'typed',
        tag: name,
      },
      [InferEndpoints.inferVersion]: { subject: Subjects.inferVersion(name, version), queue, numbersAs: 'typed', tag: name },
      // The only subscriber of its subject; in the model's queue group all the same, as the NATS users table allows.
      [InferEndpoints.inferReplica]: { subject: (id) => Subjects.inferReplica(name, id), queue, numbersAs: 'typed', tag: name },
      [InferEndpoints.artefact]: { subject: Subjects.artefact(name, version), queue, tag: name },
    },
    metricsModel: name,
  };
}

/** Every served model as its own micro service, on one NATS connection and one transport. */
export function inferenceServiceOptions(models: ServedModels, config: PredictorConfig): NatsServiceOptions {
  return {
    services: models.all().map(({ runner }) => inferenceServiceUnit(runner, config)),
    defaultTimeoutMs: config.requestTimeoutMs,
    shutdownGraceMs: config.requestTimeoutMs,
    maxInFlight: config.maxInFlight,
    readyMessage: `serving ${models.describe()} over NATS`,
  };
}
