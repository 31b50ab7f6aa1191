/** Injection token of the asynchronous pattern's settings in the gateway. */
export const ASYNC_JOBS_OPTIONS = Symbol.for('msp.async-jobs-options');

export interface AsyncJobsOptions {
  /** JOBS_NAMESPACE: stream, subjects and Redis keys, shared with the workers. */
  namespace: string;
  /** JOB_TTL_S: how long job state and results stay in Redis after their last change. */
  ttlSeconds: number;
}
