import { Body, Controller, Get, HttpCode, Inject, Param, Post, Req, Res } from '@nestjs/common';
import { deadlineIn, MspError, type InferRequest, type InferResponse, type ModelMetadata } from '@msp/contracts';
import { HttpHeaders, HttpInferContext, INFERENCE_BACKEND, requestTimeoutMs, resolveRequestId, type InferenceBackend } from '@msp/oip-server';
import { PredictionLog } from '@msp/prediction-log';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { JobSubmitService } from '../async/job-submit.service.js';
import { GATEWAY_CONFIG } from '../config/config.module.js';
import type { GatewayConfig } from '../config/gateway-config.schema.js';
import { toInferRequest, toLabel, toPrediction } from './compat.mapping.js';

/** The seeds' iris sample row (sepal length, sepal width, petal length, petal width, cm). */
const IRIS_SAMPLE = [5.1, 3.5, 1.4, 0.2];

/** A sample instance for a model: the iris row for four features, else a blank of the right size. */
function sampleOf(metadata: ModelMetadata): number[][] {
  const width = (metadata.inputs[0]?.shape.slice(1) ?? []).reduce((a, b) => a * Math.max(1, b), 1);
  return [width === 4 ? IRIS_SAMPLE : new Array<number>(width).fill(0)];
}

/**
 * The seeds' sample REST contract beside OIP, under `/compat/<model>/` (any model, graph or
 * experiment name the gateway serves), so clients written for those samples work unchanged:
 * GET health, metadata, label, predict/test; POST predict and predict/label with
 * `{"data": [[…]]}`; and the asynchronous sample's POST predict → `{job_id}` + GET job/<id>
 * under `/compat/<model>/async/`. Errors are the gateway's `{error}` with the usual statuses.
 */
@Controller('compat/:model')
export class CompatController {
  constructor(
    @Inject(INFERENCE_BACKEND) private readonly backend: InferenceBackend,
    private readonly jobs: JobSubmitService,
    @Inject(PredictionLog) private readonly log: PredictionLog,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  @Get('health')
  async health(@Param('model') model: string): Promise<{ health: 'ok' }> {
    await this.backend.modelMetadata(model);
    if (!(await this.backend.isModelReady(model))) throw MspError.unavailable(`model '${model}' is not ready`);
    return { health: 'ok' };
  }

  @Get('metadata')
  async metadata(@Param('model') model: string, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<Record<string, unknown>> {
    const metadata = await this.backend.modelMetadata(model);
    const sample = sampleOf(metadata);
    const input = metadata.inputs[0];
    const output = metadata.outputs.find((candidate) => candidate.name === 'probabilities') ?? metadata.outputs[0];
    return {
      data_type: (input?.datatype ?? 'FP32') === 'FP32' ? 'float32' : input?.datatype.toLowerCase(),
      data_structure: `(1,${sample[0]!.length})`,
      data_sample: sample,
      prediction_type: (output?.datatype ?? 'FP32') === 'FP32' ? 'float32' : output?.datatype.toLowerCase(),
      prediction_structure: `(1,${output?.shape.slice(1).join(',') ?? ''})`,
      prediction_sample: toPrediction(await this.infer(model, toInferRequest({ data: sample }, metadata), request, reply)),
    };
  }

  @Get('label')
  async label(@Param('model') model: string): Promise<Record<string, string>> {
    const labels = (await this.backend.modelMetadata(model)).parameters?.['labels'];
    if (!Array.isArray(labels)) throw MspError.notFound(`model '${model}' has no labels`);
    return Object.fromEntries(labels.map((label, i) => [String(i), String(label)]));
  }

  @Get('predict/test')
  async test(@Param('model') model: string, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<{ prediction: unknown }> {
    const metadata = await this.backend.modelMetadata(model);
    return { prediction: toPrediction(await this.infer(model, toInferRequest({ data: sampleOf(metadata) }, metadata), request, reply)) };
  }

  @Post('predict')
  @HttpCode(200)
  async predict(@Param('model') model: string, @Body() body: unknown, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<{ prediction: unknown }> {
    const metadata = await this.backend.modelMetadata(model);
    return { prediction: toPrediction(await this.infer(model, toInferRequest(body, metadata), request, reply)) };
  }

  @Post('predict/label')
  @HttpCode(200)
  async predictLabel(@Param('model') model: string, @Body() body: unknown, @Req() request: FastifyRequest, @Res({ passthrough: true }) reply: FastifyReply): Promise<{ prediction: unknown }> {
    const metadata = await this.backend.modelMetadata(model);
    return { prediction: toLabel(await this.infer(model, toInferRequest(body, metadata), request, reply)) };
  }

  /** The asynchronous sample: the job is queued (JetStream, workers) and its id answered at once. */
  @Post('async/predict')
  @HttpCode(200)
  async submit(@Param('model') model: string, @Body() body: unknown, @Req() request: FastifyRequest): Promise<{ job_id: string }> {
    const metadata = await this.backend.modelMetadata(model);
    const submitted = await this.jobs.submit(model, undefined, toInferRequest(body, metadata), { requestId: resolveRequestId(request) });
    return { job_id: submitted.job.job_id };
  }

  /** `{<job_id>: {prediction}}` as the sample answers: "" until the job is done. */
  @Get('async/job/:id')
  async job(@Param('model') model: string, @Param('id') id: string): Promise<Record<string, { prediction: unknown; status: string; error?: string }>> {
    const job = await this.jobs.get(id);
    if (!job || job.model !== model) throw MspError.notFound(`no job '${id}' for model '${model}' (it may have expired)`);
    const prediction = job.status === 'succeeded' && job.result ? toPrediction(job.result) : '';
    return { [id]: { prediction, status: job.status, ...(job.error ? { error: job.error } : {}) } };
  }

  private infer(model: string, inferRequest: InferRequest, request: FastifyRequest, reply: FastifyReply): Promise<InferResponse> {
    const requestId = resolveRequestId(request);
    void reply.header(HttpHeaders.requestId, requestId);
    const timeouts = { defaultMs: this.config.requestTimeoutMs, maxMs: this.config.maxTimeoutMs };
    const context = new HttpInferContext(requestId, deadlineIn(requestTimeoutMs(request.headers[HttpHeaders.timeoutMs], timeouts)), reply);
    const answer = this.backend.infer(model, undefined, inferRequest, context);
    this.log.follow(
      {
        requestId,
        pattern: this.backend.predictionPattern?.(model) ?? 'sync',
        model,
        inputs: inferRequest.inputs,
        experiment: this.backend.experimentOf?.(model, inferRequest, context),
        experimentOfAnswer: (response) => this.backend.experimentOfAnswer?.(model, response),
        trace: context.trace,
      },
      answer,
    );
    return answer;
  }
}
