import { QueueGroups, ServiceNames, Subjects } from '@msp/contracts';
import type { NatsServiceOptions } from '@msp/messaging';
import { PREPROCESS_VERSION } from '../app.info.js';
import type { PreprocessConfig } from '../config/preprocess-config.schema.js';
import { DIGIT_IMAGE_INPUT, DIGIT_MODEL_INPUT } from './digit-preprocess.service.js';

export const DIGIT_KIND = 'mnist';

/**
 * prep `mnist` as a NATS micro service (`$SRV.*.msp-preprocess`) on `msp.prep.mnist` in the
 * queue group `msp.preprocess.mnist`, so replicas share the load and scale apart from the
 * predictors. Images arrive as raw bytes in the binary encoding.
 */
export function digitServiceOptions(config: PreprocessConfig): NatsServiceOptions {
  return {
    service: {
      name: ServiceNames.preprocess,
      version: PREPROCESS_VERSION,
      description: `Preprocess '${DIGIT_KIND}': encoded PNG/JPEG digits → FP32 [N,28,28]`,
      metadata: { kind: DIGIT_KIND, input: `${DIGIT_IMAGE_INPUT} BYTES [-1]`, output: `${DIGIT_MODEL_INPUT} FP32 [-1,28,28]` },
    },
    endpoints: {
      [DIGIT_KIND]: { subject: Subjects.prep(DIGIT_KIND), queue: QueueGroups.preprocess(DIGIT_KIND), bytesAs: 'raw' },
    },
    defaultTimeoutMs: config.requestTimeoutMs,
    shutdownGraceMs: config.requestTimeoutMs,
    readyMessage: `serving preprocess ${DIGIT_KIND} over NATS`,
  };
}
