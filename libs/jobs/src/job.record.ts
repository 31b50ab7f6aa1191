import type { InferResponse, JobStatus } from '@msp/contracts';

/** One job's state as clients see it (`GET /v1/jobs/{id}`). */
export interface JobView {
  job_id: string;
  model: string;
  version?: string;
  status: JobStatus;
  created_at: string;
  updated_at: string;
  /** Deliveries to a worker so far (1 on the first run; more after a retry or a worker's death). */
  attempts: number;
  /** The OIP response, once `succeeded`. */
  result?: InferResponse;
  /** Why, once `failed`. */
  error?: string;
}

/** What the repository keeps beside the view: the correlation id and the request's fingerprint. */
export interface JobRecord extends JobView {
  request_id: string;
  /** sha256 of model, version and body: an Idempotency-Key reused with another request is refused. */
  request_hash: string;
}

export function toJobView(record: JobRecord): JobView {
  const { request_id: _requestId, request_hash: _hash, ...view } = record;
  return view;
}
