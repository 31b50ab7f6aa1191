import { DATATYPES, IDEMPOTENCY_KEY, InferRequestSchema, JOB_STATUSES, ModelMetadataSchema, PredictionRecordSchema } from '@msp/contracts';
import { HttpHeaders } from '@msp/oip-server';
import { z } from 'zod';

/**
 * The gateway's OpenAPI 3.1 document, written once as data and served by OpenApiController.
 * The request and metadata schemas are generated from the zod schemas of @msp/contracts (the
 * ones the routes validate with); the rest mirror the controllers. `openapi.routes.int-spec.ts`
 * fails when a route Fastify registered is missing here, or a documented one no longer exists.
 */
export type JsonObject = Record<string, unknown>;

const ref = (name: string): JsonObject => ({ $ref: `#/components/schemas/${name}` });

/** A zod schema as a component (`io: 'input'`: what the schema accepts, unknown keys included). */
function fromZod(schema: z.ZodType): JsonObject {
  const { $schema: _dialect, ...json } = z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' });
  return json;
}

const parameters: JsonObject = {
  type: 'object',
  additionalProperties: true,
  description: 'Free-form OIP parameters.',
};

const tensor: JsonObject = {
  type: 'object',
  required: ['name', 'shape', 'datatype', 'data'],
  properties: {
    name: { type: 'string', minLength: 1 },
    shape: { type: 'array', items: { type: 'integer', minimum: 0 } },
    datatype: ref('Datatype'),
    parameters,
    data: {
      type: 'array',
      description: 'Flat, row-major: numbers for numeric types, booleans for BOOL, strings for BYTES.',
      items: { type: ['number', 'boolean', 'string'] },
    },
  },
};

const graphTrace: JsonObject = {
  type: 'object',
  description: '`parameters.graph` of every graph response: the steps that ran (docs/graphs.md).',
  required: ['steps', 'partial'],
  properties: {
    steps: {
      type: 'array',
      items: {
        type: 'object',
        required: ['node', 'kind', 'status', 'ms'],
        properties: {
          node: { type: 'string' },
          kind: { type: 'string', enum: ['model', 'preprocess', 'sequence', 'switch', 'ensemble', 'respond', 'time-lag'] },
          status: { type: 'string', enum: ['ok', 'skipped', 'failed', 'timeout'] },
          ms: { type: 'number' },
          model: { type: 'string' },
          version: { type: 'string' },
          chose: { type: 'string' },
          answered: { type: 'array', items: { type: 'string' } },
          error: { type: 'string' },
        },
      },
    },
    partial: { type: 'boolean', description: 'Some ensemble answered with fewer branches than it has.' },
    answered: { type: 'array', items: { type: 'string' } },
    stopped_by: { type: 'string', description: 'The respond node that stopped the graph.' },
    reason: { type: 'string' },
  },
};

const timeLagRef: JsonObject = {
  type: 'object',
  description:
    '`parameters.time_lag` of a time-lag graph: the fast answer (stage `fast`, with the URLs of the better one) ' +
    'or the better answer (stage `better`).',
  required: ['id', 'stage'],
  properties: {
    id: { type: 'string' },
    stage: { type: 'string', enum: ['fast', 'better'] },
    status: { type: 'string', enum: ['pending'] },
    status_url: { type: 'string' },
    events_url: { type: 'string' },
  },
};

const inferResponse: JsonObject = {
  type: 'object',
  required: ['model_name', 'outputs'],
  properties: {
    model_name: { type: 'string' },
    model_version: { type: 'string' },
    id: { type: 'string' },
    parameters: {
      type: 'object',
      additionalProperties: true,
      properties: { graph: ref('GraphTrace'), time_lag: ref('TimeLagRef') },
    },
    outputs: { type: 'array', items: ref('Tensor') },
  },
};

const jobView: JsonObject = {
  type: 'object',
  required: ['job_id', 'model', 'status', 'created_at', 'updated_at', 'attempts'],
  properties: {
    job_id: { type: 'string', format: 'uuid' },
    model: { type: 'string' },
    version: { type: 'string' },
    status: { type: 'string', enum: [...JOB_STATUSES] },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
    attempts: { type: 'integer', minimum: 0 },
    result: { ...ref('InferResponse'), description: 'Once `succeeded`.' },
    error: { type: 'string', description: 'Once `failed`.' },
  },
};

const jobSubmitted: JsonObject = {
  type: 'object',
  required: ['job_id', 'status', 'status_url', 'events_url'],
  properties: {
    job_id: { type: 'string', format: 'uuid' },
    status: { type: 'string', enum: [...JOB_STATUSES] },
    status_url: { type: 'string', examples: ['/v1/jobs/0b8e…'] },
    events_url: { type: 'string', examples: ['/v1/jobs/0b8e…/events'] },
  },
};

const timeLagRecord: JsonObject = {
  type: 'object',
  required: ['id', 'model', 'status', 'fast', 'created', 'ms'],
  properties: {
    id: { type: 'string' },
    model: { type: 'string' },
    status: { type: 'string', enum: ['pending', 'done', 'failed'] },
    fast: ref('InferResponse'),
    better: ref('InferResponse'),
    error: { type: 'string' },
    created: { type: 'integer', description: 'When the request arrived (epoch ms).' },
    ms: {
      type: 'object',
      required: ['fast'],
      properties: { fast: { type: 'number' }, better: { type: 'number' } },
    },
  },
};

/** One endpoint of a micro service instance, with its counters ($SRV.STATS). */
const topologyEndpoint: JsonObject = {
  type: 'object',
  required: ['name', 'subject', 'requests', 'errors'],
  properties: { name: { type: 'string' }, subject: { type: 'string' }, requests: { type: 'integer' }, errors: { type: 'integer' } },
};

const topologyInstance: JsonObject = {
  type: 'object',
  required: ['service', 'id', 'version', 'endpoints'],
  properties: {
    service: { type: 'string', description: 'The micro service name, e.g. `msp-predictor`.' },
    id: { type: 'string' },
    version: { type: 'string' },
    model: { type: 'string', description: "A predictor's model." },
    modelVersion: { type: 'string', description: "A predictor's model version." },
    started: { type: 'string', format: 'date-time' },
    endpoints: { type: 'array', items: topologyEndpoint },
  },
};

const topology: JsonObject = {
  type: 'object',
  required: ['at', 'instances'],
  properties: {
    at: { type: 'integer', description: 'When the gateway asked, epoch ms.' },
    instances: { type: 'array', items: topologyInstance },
  },
};

const modelListing: JsonObject = {
  type: 'object',
  required: ['registry', 'models'],
  properties: {
    registry: { type: 'string', enum: ['ok', 'unreachable'] },
    models: {
      type: 'array',
      items: {
        type: 'object',
        required: ['name', 'versions'],
        properties: {
          name: { type: 'string' },
          serving: { type: 'string', description: 'The version the registry releases.' },
          versions: {
            type: 'array',
            items: {
              type: 'object',
              required: ['version', 'replicas'],
              properties: {
                version: { type: 'string' },
                status: { type: 'string', enum: ['candidate', 'rejected', 'serving', 'retired'], description: 'Absent for a model the registry never saw.' },
                replicas: { type: 'integer', description: 'Predictors that answered the last discovery round.' },
                accuracy: { type: 'number' },
                created: { type: 'string', format: 'date-time' },
                reason: { type: 'string', description: 'Why the gate refused it, or why it was retired.' },
              },
            },
          },
        },
      },
    },
  },
};

const schemas: Record<string, JsonObject> = {
  Error: {
    type: 'object',
    required: ['error'],
    properties: { error: { type: 'string' } },
    description: 'Every failure: `{"error": "<message>"}`.',
  },
  Datatype: { type: 'string', enum: [...DATATYPES] },
  InferRequest: fromZod(InferRequestSchema),
  Tensor: tensor,
  InferResponse: inferResponse,
  GraphTrace: graphTrace,
  TimeLagRef: timeLagRef,
  ModelMetadata: fromZod(ModelMetadataSchema),
  ServerMetadata: {
    type: 'object',
    required: ['name', 'version', 'extensions'],
    properties: { name: { type: 'string' }, version: { type: 'string' }, extensions: { type: 'array', items: { type: 'string' } } },
  },
  JobSubmitted: jobSubmitted,
  JobView: jobView,
  TimeLagRecord: timeLagRecord,
  ModelListing: modelListing,
  Topology: topology,
  Experiment: {
    type: 'object',
    required: ['id', 'kind', 'model'],
    description: 'An experiment (EXPERIMENTS_FILE): shadow (with this gateway\'s mirror counts) or online AB.',
    properties: {
      id: { type: 'string' },
      kind: { enum: ['shadow', 'ab'] },
      description: { type: 'string' },
      model: { type: 'string', description: 'Shadow: the primary, the model clients call. AB: the name clients call.' },
      key: { type: 'object', description: 'AB: the sticky assignment key, `{header}` or `{parameter}` (else the request id).' },
      variants: {
        type: 'array',
        description: 'AB: the first is the control.',
        items: { type: 'object', properties: { name: { type: 'string' }, model: { type: 'string' }, version: { type: 'string' }, weight: { type: 'number' } } },
      },
      shadow: { type: 'object', properties: { model: { type: 'string' }, version: { type: 'string' } } },
      timeout_ms: { type: 'integer', description: 'The mirror\'s own deadline.' },
      max_in_flight: { type: 'integer' },
      gateway: {
        type: 'object',
        properties: { mirrored: { type: 'integer' }, skipped: { type: 'integer', description: 'Not mirrored: max_in_flight mirrors still running.' }, in_flight: { type: 'integer' } },
      },
      report: {
        type: 'object',
        description:
          'From the prediction log (apps/monitor), over the newest `window` records. Shadow: `requests`, `compared`, `agreement`, `sides`. AB: `variants` [{name, exposures, errors, statuses, latency_ms, outcomes {samples, correct, accuracy}, mirrored and fallbacks {requests, errors, latency_ms} (counted apart from exposures), versus_control {z, p_value, significant, alpha}}].',
        properties: {
          requests: { type: 'integer' },
          compared: { type: 'integer', description: 'Requests both sides answered.' },
          agreement: { type: 'number', description: 'Share of compared requests with the same label (or top class) per row.' },
          sides: { type: 'object', description: '`primary` and `shadow`: model, versions, count, errors, statuses, latency_ms {p50, p95, p99, mean}.' },
          variants: { type: 'array', items: { type: 'object' } },
          window: { type: 'integer' },
        },
      },
    },
  },
  Rollout: {
    type: 'object',
    required: ['rollout', 'record'],
    description: 'A rollout (`rollouts:` in EXPERIMENTS_FILE) and the registry\'s record of its last run (null: never ran).',
    properties: {
      rollout: {
        type: 'object',
        description: 'The declaration: id, experiment (AB), candidate (variant), shadow, steps (canary weights %), window_s, min_samples, max_step_s, bounds {error_rate, latency_p99_ratio, latency_p99_slack_ms, accuracy_drop, min_outcomes}.',
      },
      record: {
        type: ['object', 'null'],
        description:
          'KV msp-rollouts: id, experiment, control and candidate {variant, model}, state (running, promoted, rolled_back, aborted), by, aborted_by, started_at, updated_at, release {model, version} (a promoted version made serving in the release records), steps [{stage (shadow, canary, promote), weight, started_at, ended_at, outcome (advanced, rolled_back, promoted), reasons, control and candidate {requests, errors, error_rate, p99_ms, outcomes, accuracy}}].',
      },
    },
  },
  ParameterRecord: {
    type: 'object',
    required: ['value', 'by', 'at'],
    properties: {
      value: { description: 'The value (null: cleared).' },
      by: { type: 'string', description: 'x-actor of the change, else anonymous@<address>.' },
      at: { type: 'integer', description: 'Epoch ms.' },
      previous: { description: 'The value it replaced.' },
      reason: { type: 'string' },
    },
  },
  MonitoringView: {
    type: 'object',
    required: ['model', 'window', 'latency_ms', 'error_rate', 'errors', 'drift', 'output', 'accuracy', 'alerts'],
    description: 'One model over the sliding window (apps/monitor); `alerts` are those firing now.',
    properties: {
      model: { type: 'string' },
      owner: { type: 'string' },
      description: { type: 'string' },
      window: { type: 'object', properties: { ms: { type: 'integer' }, from: { type: 'integer' }, to: { type: 'integer' }, count: { type: 'integer' } } },
      latency_ms: { type: 'object', properties: { p50: { type: 'number' }, p95: { type: 'number' }, p99: { type: 'number' } } },
      error_rate: { type: 'number' },
      errors: { type: 'integer' },
      drift: { type: 'object', description: 'KS statistic per input feature against the training reference, and the level that counts as drift.' },
      output: { type: 'object', description: 'Predicted class shares against the training split’s, and their PSI.' },
      accuracy: { type: 'object', properties: { samples: { type: 'integer' }, value: { type: 'number' } } },
      alerts: { type: 'array', items: { type: 'object' } },
    },
  },
  LoggedPrediction: {
    ...fromZod(PredictionRecordSchema),
    description: 'One logged prediction; `feedback` is the ground truth posted for its request id, if any.',
  },
};

// ---- parameters, headers, responses ------------------------------------------------------

const pathParam = (name: string, description: string): JsonObject => ({
  name,
  in: 'path',
  required: true,
  schema: { type: 'string' },
  description,
});
const model = pathParam('model', 'A model or graph name, e.g. `iris-mlp`.');
const version = pathParam('version', 'A version of the model (see `versions` in its metadata).');
const requestIdHeader: JsonObject = {
  name: HttpHeaders.requestId,
  in: 'header',
  schema: { type: 'string' },
  description: 'Correlation id, echoed in the response and carried to the predictor (one is made up when absent).',
};
const timeoutHeader: JsonObject = {
  name: HttpHeaders.timeoutMs,
  in: 'header',
  schema: { type: 'integer', minimum: 1 },
  description: "This request's deadline in ms (default REQUEST_TIMEOUT_MS, at most MAX_TIMEOUT_MS).",
};
const idempotencyKeyHeader: JsonObject = {
  name: 'Idempotency-Key',
  in: 'header',
  schema: { type: 'string', pattern: IDEMPOTENCY_KEY.source },
  description: 'Submitting the same request with the same key answers the first job instead of a new one.',
};
const requestIdOut = { [HttpHeaders.requestId]: { schema: { type: 'string' }, description: 'The correlation id.' } };

const ERROR_MEANING: Record<number, string> = {
  400: 'Bad request (malformed JSON, a request that does not match the schema or the model)',
  404: 'Unknown model, version, job or id',
  401: 'A management change without x-management-token (MANAGEMENT_TOKEN is set)',
  403: 'A management change with a wrong x-management-token',
  409: 'The Idempotency-Key names a job that no longer exists; or a rollout already running (start) or not running (abort)',
  413: 'The request body (or an uploaded file) is larger than the server accepts',
  415: 'Unsupported content type',
  422: 'The Idempotency-Key was used for a different request',
  429: 'Shed: the model is at capacity (in flight plus queued); retry after `Retry-After` seconds',
  500: 'Unexpected failure ("internal error")',
  503: 'Not ready, a dependency (NATS, a predictor, Redis, the job queue) is unavailable, or the model’s circuit is open (`Retry-After`)',
  504: 'The deadline passed before an answer',
};

function errors(...statuses: number[]): Record<string, JsonObject> {
  const out: Record<string, JsonObject> = {};
  for (const status of [...statuses, 500]) {
    out[String(status)] = {
      description: ERROR_MEANING[status] ?? 'Error',
      headers: requestIdOut,
      content: { 'application/json': { schema: ref('Error') } },
    };
  }
  return out;
}

const json = (schema: JsonObject, description: string, headers?: JsonObject): JsonObject => ({
  description,
  ...(headers ? { headers } : {}),
  content: { 'application/json': { schema } },
});

/** Edge prediction: an ONNX file with its digest (`GET /v1/models/{model}[/versions/{version}]/artefact`). */
function artefactOperation(summary: string, operationId: string, parameters: JsonObject[]): JsonObject {
  return {
    tags: ['console'],
    summary,
    description:
      "Edge prediction: the ONNX file one of the model's predictors runs, fetched from it over NATS (`msp.artefact.<model>.<version>`) and checked, with its SHA-256 (hex) in `x-msp-sha256` for the browser to check again before it runs the file (onnxruntime-web). Graphs have no artefact (404).",
    operationId,
    parameters: [...parameters, requestIdHeader],
    responses: {
      '200': {
        description: 'The ONNX file.',
        headers: {
          'x-msp-sha256': { description: 'SHA-256 of the body, hex.', schema: { type: 'string', pattern: '^[a-f0-9]{64}$' } },
          'x-msp-model-version': { description: 'The version the file is.', schema: { type: 'string' } },
        },
        content: { 'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } },
      },
      ...errors(404, 413, 503, 504),
    },
  };
}

/** A Server-Sent Events response; `events` names each event and the JSON in its `data`. */
function eventStream(description: string, events: Record<string, string>): JsonObject {
  const list = Object.entries(events)
    .map(([name, data]) => `- \`${name}\`: ${data}`)
    .join('\n');
  return {
    description: `${description}\n\nEvents (\`event: <name>\` then \`data: <JSON>\`):\n${list}`,
    content: {
      'text/event-stream': {
        schema: { type: 'string', description: 'A stream of `event:` / `data:` lines; `: keep-alive` comments in between.' },
        'x-events': Object.keys(events),
      },
    },
  };
}

const inferBody: JsonObject = {
  required: true,
  description:
    'The inputs, or (data cache) `parameters.item_id` naming a stored input with `inputs` omitted or empty — never both. ' +
    'By id the response adds `parameters.data_cache` (`hit`: Redis, `miss`: the KV store) and the `x-msp-data-cache` header; an unknown id is a 404.',
  content: { 'application/json': { schema: ref('InferRequest') } },
};

function infer(summary: string, withVersion: boolean): JsonObject {
  return {
    post: {
      tags: ['oip-v2'],
      summary,
      operationId: withVersion ? 'inferVersion' : 'infer',
      parameters: [model, ...(withVersion ? [version] : []), timeoutHeader, requestIdHeader],
      requestBody: inferBody,
      responses: {
        '200': json(ref('InferResponse'), 'The inference response (graph responses add `parameters.graph`; time-lag graphs `parameters.time_lag`; by item id `parameters.data_cache`).', requestIdOut),
        ...errors(400, 404, 413, 415, 429, 503, 504),
      },
    },
  };
}

function submit(withVersion: boolean): JsonObject {
  return {
    post: {
      tags: ['async'],
      summary: 'Submit an asynchronous inference job; answers 202 with its id at once',
      operationId: withVersion ? 'submitJobVersion' : 'submitJob',
      parameters: [model, ...(withVersion ? [version] : []), idempotencyKeyHeader, requestIdHeader],
      requestBody: inferBody,
      responses: {
        '202': json(ref('JobSubmitted'), 'Queued (or, with a replayed Idempotency-Key, the earlier job).', {
          ...requestIdOut,
          location: { schema: { type: 'string' }, description: 'The status URL, `/v1/jobs/{id}`.' },
          'idempotent-replayed': { schema: { type: 'string', enum: ['true'] }, description: 'Present when the key named an earlier job.' },
        }),
        ...errors(400, 404, 409, 413, 415, 422, 503),
      },
    },
  };
}

function metadata(withVersion: boolean): JsonObject {
  return {
    get: {
      tags: ['oip-v2'],
      summary: withVersion ? 'Metadata of one version of a model or graph' : 'Metadata of a model or graph',
      operationId: withVersion ? 'modelVersionMetadata' : 'modelMetadata',
      parameters: [model, ...(withVersion ? [version] : [])],
      responses: { '200': json(ref('ModelMetadata'), 'The model metadata.'), ...errors(404, 503) },
    },
  };
}

function modelReady(withVersion: boolean): JsonObject {
  return {
    get: {
      tags: ['oip-v2'],
      summary: withVersion ? 'Is this version of the model ready?' : 'Is the model ready?',
      operationId: withVersion ? 'modelVersionReady' : 'modelReady',
      parameters: [model, ...(withVersion ? [version] : [])],
      responses: {
        '200': json(
          { type: 'object', required: ['name', 'ready'], properties: { name: { type: 'string' }, ready: { const: true } } },
          'Ready.',
        ),
        ...errors(404, 503),
      },
    },
  };
}

const idParam = (description: string): JsonObject => pathParam('id', description);

/** The seeds' sample API (`/compat/{model}/…`): the same shapes for every model. */
function compatPaths(): Record<string, JsonObject> {
  const data = {
    required: true,
    content: { 'application/json': { schema: { type: 'object', required: ['data'], properties: { data: { type: 'array', items: { type: 'array', items: { type: 'number' } } } } } } },
  };
  const prediction = json({ type: 'object', properties: { prediction: {} } }, 'One row: its scores (or label); several: one per row.');
  const get = (operationId: string, summary: string, answer: JsonObject, ...statuses: number[]): JsonObject => ({
    get: { tags: ['compat'], summary, operationId, parameters: [model], responses: { '200': answer, ...errors(...statuses) } },
  });
  const post = (operationId: string, summary: string, answer: JsonObject): JsonObject => ({
    post: { tags: ['compat'], summary, operationId, parameters: [model], requestBody: data, responses: { '200': answer, ...errors(400, 404, 503, 504) } },
  });
  return {
    '/compat/{model}/health': get('compatHealth', 'The sample health check', json({ type: 'object', properties: { health: { const: 'ok' } } }, 'Ready.'), 404, 503),
    '/compat/{model}/metadata': get('compatMetadata', 'The sample metadata: data and prediction types, structures and samples', json({ type: 'object' }, 'Metadata.'), 404, 503),
    '/compat/{model}/label': get('compatLabel', 'The class labels by index', json({ type: 'object', additionalProperties: { type: 'string' } }, 'Labels.'), 404),
    '/compat/{model}/predict/test': get('compatPredictTest', 'A prediction of the sample instance', prediction, 404, 503, 504),
    '/compat/{model}/predict': post('compatPredict', 'Scores for {"data": [[…]]}', prediction),
    '/compat/{model}/predict/label': post('compatPredictLabel', 'Labels for {"data": [[…]]}', prediction),
    '/compat/{model}/async/predict': post('compatAsyncPredict', 'The asynchronous sample: queues a job, answers its id', json({ type: 'object', properties: { job_id: { type: 'string' } } }, 'Queued.')),
    '/compat/{model}/async/job/{id}': {
      get: {
        tags: ['compat'],
        summary: 'The asynchronous sample: {<job_id>: {prediction}} ("" until done)',
        operationId: 'compatAsyncJob',
        parameters: [model, idParam('The job id.')],
        responses: { '200': json({ type: 'object' }, 'The job.'), ...errors(404, 503) },
      },
    },
  };
}

const paths: Record<string, JsonObject> = {
  '/v2': {
    get: {
      tags: ['oip-v2'],
      summary: 'Server metadata',
      operationId: 'serverMetadata',
      responses: { '200': json(ref('ServerMetadata'), 'The server metadata.'), ...errors() },
    },
  },
  '/v2/health/live': {
    get: {
      tags: ['oip-v2'],
      summary: 'Liveness',
      operationId: 'live',
      responses: {
        '200': json({ type: 'object', required: ['live'], properties: { live: { const: true } } }, 'Live.'),
        ...errors(),
      },
    },
  },
  '/v2/health/ready': {
    get: {
      tags: ['oip-v2'],
      summary: 'Readiness: NATS reachable and at least one model can be served',
      operationId: 'ready',
      responses: {
        '200': json({ type: 'object', required: ['ready'], properties: { ready: { const: true } } }, 'Ready.'),
        ...errors(503),
      },
    },
  },
  '/v2/models': {
    get: {
      tags: ['oip-v2'],
      summary: 'Every model and graph served (an extension of OIP v2)',
      operationId: 'listModels',
      responses: {
        '200': json(
          { type: 'object', required: ['models'], properties: { models: { type: 'array', items: ref('ModelMetadata') } } },
          'The models.',
        ),
        ...errors(503),
      },
    },
  },
  '/v2/models/{model}': metadata(false),
  '/v2/models/{model}/versions/{version}': metadata(true),
  '/v2/models/{model}/ready': modelReady(false),
  '/v2/models/{model}/versions/{version}/ready': modelReady(true),
  '/v2/models/{model}/infer': infer('Inference', false),
  '/v2/models/{model}/versions/{version}/infer': infer('Inference on one version', true),
  '/v1/async/models/{model}/infer': submit(false),
  '/v1/async/models/{model}/versions/{version}/infer': submit(true),
  '/v1/jobs/{id}': {
    get: {
      tags: ['async'],
      summary: 'The state of a job (with its result once succeeded)',
      operationId: 'getJob',
      parameters: [idParam('The job id (a UUID).')],
      responses: { '200': json(ref('JobView'), 'The job.'), ...errors(404, 503) },
    },
  },
  '/v1/jobs/{id}/events': {
    get: {
      tags: ['async'],
      summary: 'Follow a job as Server-Sent Events until it finishes',
      operationId: 'jobEvents',
      parameters: [idParam('The job id (a UUID).')],
      responses: {
        '200': eventStream('The job state at once and on every change; the stream ends when the job has finished.', {
          status: 'a JobView (`#/components/schemas/JobView`), at once and on every change',
          error: '`{"error": string}`: the job expired, or did not finish while the stream was open',
        }),
        ...errors(404, 503),
      },
    },
  },
  '/v1/logs': {
    get: {
      tags: ['prediction-log'],
      summary: 'The prediction log, newest first, with ground truth joined where posted',
      operationId: 'getLogs',
      parameters: [
        { name: 'model', in: 'query', schema: { type: 'string' }, description: 'Only this model (or graph).' },
        { name: 'since', in: 'query', schema: { type: 'string' }, description: 'Epoch milliseconds or an ISO 8601 date.' },
        { name: 'status', in: 'query', schema: { type: 'integer' }, description: 'Only predictions that ended with this status (200, 400, 504…).' },
        { name: 'request_id', in: 'query', schema: { type: 'string' }, description: 'Only this request.' },
        { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
      ],
      responses: {
        '200': json(
          { type: 'object', required: ['records'], properties: { records: { type: 'array', items: ref('LoggedPrediction') } } },
          'The matching records.',
        ),
        ...errors(400, 503),
      },
    },
  },
  '/v1/monitoring/{model}': {
    get: {
      tags: ['prediction-log'],
      summary: 'The current monitoring window of a model: drift per feature, output shift, latency, errors, live accuracy, alerts, owner',
      operationId: 'getMonitoring',
      parameters: [model],
      responses: { '200': json(ref('MonitoringView'), 'The window.'), ...errors(404, 503) },
    },
  },
  '/v1/experiments': {
    get: {
      tags: ['experiments'],
      summary: 'The experiments this gateway runs (shadow AB), with its mirror counts',
      operationId: 'listExperiments',
      responses: { '200': json({ type: 'object', properties: { experiments: { type: 'array', items: ref('Experiment') } } }, 'The experiments.'), ...errors() },
    },
  },
  '/v1/experiments/{id}': {
    get: {
      tags: ['experiments'],
      summary: 'One experiment and its report from the prediction log: shadow — agreement and latency of each side; AB — exposures, outcomes and significance per variant',
      operationId: 'getExperiment',
      parameters: [idParam('The experiment id.')],
      responses: { '200': json(ref('Experiment'), 'The experiment and its report.'), ...errors(404, 503) },
    },
  },
  ...compatPaths(),
  '/v1/rollouts': {
    get: {
      tags: ['promotion'],
      summary: 'Every declared rollout and its last run as the registry records it',
      operationId: 'listRollouts',
      responses: { '200': json({ type: 'object', properties: { rollouts: { type: 'array', items: ref('Rollout') } } }, 'The rollouts.'), ...errors(503) },
    },
  },
  '/v1/rollouts/{id}': {
    get: {
      tags: ['promotion'],
      summary: 'One rollout: its declaration and its record, each step with the figures that justified it',
      operationId: 'getRollout',
      parameters: [idParam('The rollout id.')],
      responses: { '200': json(ref('Rollout'), 'The rollout.'), ...errors(404, 503) },
    },
  },
  '/v1/rollouts/{id}/start': {
    post: {
      tags: ['promotion'],
      summary: 'Starts a rollout in this gateway (compare-and-set: of two gateways starting it at once, one runs it, the other answers 409): shadow, canary steps (the control answers what the candidate fails), promote — advancing only within bounds, else rolled back. Needs x-management-token when MANAGEMENT_TOKEN is set',
      operationId: 'startRollout',
      parameters: [idParam('The rollout id.')],
      responses: { '202': json(ref('Rollout'), 'Started; GET it to follow.'), ...errors(401, 403, 404, 409, 503) },
    },
  },
  '/v1/rollouts/{id}/abort': {
    post: {
      tags: ['promotion'],
      summary: 'Stops a running rollout and rolls it back (candidate weight 0, experiment off). Needs x-management-token when MANAGEMENT_TOKEN is set',
      operationId: 'abortRollout',
      parameters: [idParam('The rollout id.')],
      responses: { '200': json(ref('Rollout'), 'Rolled back.'), ...errors(401, 403, 404, 409, 503) },
    },
  },
  '/v1/parameters': {
    get: {
      tags: ['parameters'],
      summary: 'Every run-time parameter in force (KV msp-parameters), with who set it, when and what it replaced',
      operationId: 'listParameters',
      responses: { '200': json({ type: 'object', properties: { parameters: { type: 'object', additionalProperties: ref('ParameterRecord') } } }, 'The parameters.'), ...errors() },
    },
  },
  '/v1/parameters/{name}': {
    get: {
      tags: ['parameters'],
      summary: 'One parameter: its value and its audit trail (oldest first)',
      operationId: 'getParameter',
      parameters: [pathParam('name', 'models.<model>.enabled, experiments.<id>.enabled, experiments.<id>.weights, experiments.<id>.shadow, experiments.<id>.fallback or graphs.<graph>.<name>.')],
      responses: {
        '200': json({ type: 'object', properties: { name: { type: 'string' }, current: ref('ParameterRecord'), history: { type: 'array', items: ref('ParameterRecord') } } }, 'The value and its history.'),
        ...errors(503),
      },
    },
    put: {
      tags: ['parameters'],
      summary: 'Changes a parameter; in force on every gateway within a second. Needs x-management-token when MANAGEMENT_TOKEN is set; x-actor names who',
      operationId: 'putParameter',
      parameters: [pathParam('name', 'The parameter.')],
      requestBody: {
        required: true,
        content: { 'application/json': { schema: { type: 'object', required: ['value'], properties: { value: { description: 'The new value; null clears it.' }, reason: { type: 'string' } } } } },
      },
      responses: { '200': json({ type: 'object', properties: { name: { type: 'string' }, current: ref('ParameterRecord') } }, 'Stored.'), ...errors(400, 401, 403, 503) },
    },
  },
  '/v1/feedback': {
    post: {
      tags: ['prediction-log'],
      summary: 'Ground truth for a logged prediction, joined to it (live accuracy)',
      operationId: 'postFeedback',
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['id', 'label'],
              properties: { id: { type: 'string', description: 'The request id of the prediction.' }, label: { description: 'The true label or value.' } },
            },
          },
        },
      },
      responses: { '200': json({ type: 'object', properties: { joined: { const: true } } }, 'Joined.'), ...errors(400, 404, 503) },
    },
  },
  '/v1/time-lag/{id}': {
    get: {
      tags: ['time-lag'],
      summary: 'The stored answers (fast, then better) of one time-lag request',
      operationId: 'getTimeLag',
      parameters: [idParam('`parameters.time_lag.id` of the fast answer.')],
      responses: { '200': json(ref('TimeLagRecord'), 'The answers so far.'), ...errors(404, 503) },
    },
  },
  '/v1/time-lag/{id}/events': {
    get: {
      tags: ['time-lag'],
      summary: 'The answers of one time-lag request as Server-Sent Events',
      operationId: 'timeLagEvents',
      parameters: [idParam('`parameters.time_lag.id` of the fast answer.')],
      responses: {
        '200': eventStream('`fast` at once, `better` (or `error`) when it is ready, then `end`.', {
          fast: 'the fast InferResponse (`#/components/schemas/InferResponse`)',
          better: 'the better InferResponse',
          error: '`{"error": string}`: the better model failed or was not ready in time',
          end: '`{"id": string, "status": "pending" | "done" | "failed"}`',
        }),
        ...errors(404, 503),
      },
    },
  },
  '/v1/models': {
    get: {
      tags: ['releases'],
      summary: 'Every model, its versions, their registry status and live replica count',
      description:
        'Joins the model registry (release records in JetStream KV) with discovery. `registry` is `unreachable` when the registry did not answer within 2 s; replica counts are still given.',
      operationId: 'listReleases',
      responses: { '200': json(ref('ModelListing'), 'The models, newest version first.'), ...errors(503) },
    },
  },
  '/v1/models/{model}/artefact': { get: artefactOperation("The ONNX file the model's newest running version runs", 'artefact', [model]) },
  '/v1/models/{model}/versions/{version}/artefact': {
    get: artefactOperation('The ONNX file one version of the model runs', 'artefactVersion', [model, version]),
  },
  '/v1/topology': {
    get: {
      tags: ['console'],
      summary: 'Every running NATS micro service instance, what it serves, and its request counters',
      description:
        'From NATS discovery (`$SRV.INFO` and `$SRV.STATS` of every micro service, answers collected for 300 ms): predictors (with model and version), preprocess, cache, monitor. `at` is when the gateway asked; request rates are differences between two polls.',
      operationId: 'topology',
      responses: { '200': json(ref('Topology'), 'The instances, sorted by service, model and id.'), ...errors(503) },
    },
  },
  '/v1/models/{model}/upload': {
    post: {
      tags: ['upload'],
      summary: 'Inference on uploaded image files (`curl -F image=@digit.png`)',
      description:
        'The files become the OIP request `{inputs: [{name: "image", datatype: "BYTES", shape: [N], data: [<base64>…]}]}` for the model.',
      operationId: 'upload',
      parameters: [model, timeoutHeader, requestIdHeader],
      requestBody: {
        required: true,
        content: {
          'multipart/form-data': {
            schema: {
              type: 'object',
              description: 'One or more file parts (any field name); other fields are ignored.',
              properties: { image: { type: 'string', contentMediaType: 'application/octet-stream' } },
            },
          },
        },
      },
      responses: {
        '200': json(ref('InferResponse'), 'The inference response.', requestIdOut),
        ...errors(400, 404, 413, 415, 429, 503, 504),
      },
    },
  },
  '/metrics': {
    get: {
      tags: ['meta'],
      summary: 'Prometheus metrics of this gateway',
      operationId: 'metrics',
      responses: {
        '200': {
          description: 'The Prometheus text exposition format.',
          content: { 'text/plain': { schema: { type: 'string' } } },
        },
      },
    },
  },
  '/openapi.json': {
    get: {
      tags: ['meta'],
      summary: 'This document as JSON',
      operationId: 'openApiJson',
      responses: { '200': { description: 'The OpenAPI document.', content: { 'application/json': { schema: { type: 'object' } } } } },
    },
  },
  '/openapi.yaml': {
    get: {
      tags: ['meta'],
      summary: 'This document as YAML',
      operationId: 'openApiYaml',
      responses: { '200': { description: 'The OpenAPI document.', content: { 'application/yaml': { schema: { type: 'string' } } } } },
    },
  },
};

export const OPENAPI_DOCUMENT: JsonObject = {
  openapi: '3.1.0',
  info: {
    title: 'ml-serving-patterns gateway',
    version: '0.1.0',
    description:
      'Open Inference Protocol v2 (`/v2`) for every model and graph, and the pattern routes under `/v1`: ' +
      'asynchronous jobs, time-lag answers, multipart uploads. Every error is `{"error": string}`.',
  },
  tags: [
    { name: 'oip-v2', description: 'Open Inference Protocol v2 REST' },
    { name: 'async', description: 'Asynchronous pattern: jobs on JetStream, state in Redis' },
    { name: 'time-lag', description: 'Multi-stage (time-lag) pattern: fast answer now, better answer later' },
    { name: 'upload', description: 'Multipart image uploads' },
    { name: 'releases', description: 'Training-to-serving: released versions and their replicas' },
    { name: 'console', description: 'What the web console (at `/`) reads beyond OIP: model artefacts for edge prediction, the live topology' },
    { name: 'prediction-log', description: 'Every prediction logged (JetStream → store); ground truth joined later' },
    { name: 'compat', description: "The seeds' sample API beside OIP, so their clients work unchanged" },
    { name: 'promotion', description: 'Metric-gated promotion and rollback: an AB candidate moved from shadow through canary weights to promotion, judged on the prediction log' },
    { name: 'parameters', description: 'Parameter-based serving: kill switches, weights and thresholds changed live through JetStream KV, audited' },
    { name: 'experiments', description: 'Shadow AB (traffic mirrored to a candidate) and online AB (a weighted, sticky split), reported from the prediction log' },
    { name: 'meta', description: 'Operations: metrics and this document' },
  ],
  paths,
  components: { schemas },
};
