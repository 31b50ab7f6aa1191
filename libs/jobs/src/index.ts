export {
  deadLetterStreamConfig,
  ensureJobStreams,
  ensureWorkerConsumer,
  JETSTREAM_TIMEOUT_MS,
  JobQueue,
  jobStreamConfig,
  MAX_QUEUED_JOBS,
  workerConsumerConfig,
} from './job.queue.js';
export type { ConsumerSettings, ExhaustedJob } from './job.queue.js';
export { toJobView } from './job.record.js';
export type { JobRecord, JobView } from './job.record.js';
export { JobRepository, requestHash } from './job.repository.js';
export type { CreateOutcome, NewJob, TransitionOutcome } from './job.repository.js';
export type { JsMsg, PubAck } from '@nats-io/jetstream';
