export { PredictionLogModule } from './prediction-log.module.js';
export { PredictionLog } from './prediction-log.publisher.js';
export { ensurePredictionLogStream, predictionLogStreamConfig } from './prediction-log.stream.js';
export { encodePrediction, encodeRecord, toRecord } from './prediction.record.js';
export type { PredictionEntry } from './prediction.record.js';
export { LOG_PULL_MESSAGES, MESSAGE_BYTES, packRecords, RECORDS_PER_MESSAGE, unpackRecords } from './prediction.batch.js';
