import { Body, Controller, Get, HttpCode, Inject, Optional, Param, Post, Req, Res } from '@nestjs/common';
import {
  deadlineIn,
  MspError,
  parseInferRequest,
  type InferResponse,
  type ModelMetadata,
  type ServerMetadata,
} from '@msp/contracts';
import { PredictionLog } from '@msp/prediction-log';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { HttpHeaders } from './http-headers.js';
import { INFERENCE_BACKEND, type InferenceBackend } from './inference.backend.js';
import { OIP_HTTP_OPTIONS, type OipHttpOptions } from './oip-http.options.js';
import { HttpInferContext, requestTimeoutMs, resolveRequestId } from './request-context.js';

/**
 * The Open Inference Protocol v2 REST routes. Thin: every decision about models belongs to the
 * backend; failures are MspErrors turned into `{error}` responses by OipExceptionFilter.
 */
@Controller('v2')
export class OipController {
  private readonly serverMetadata: ServerMetadata;

  constructor(
    @Inject(INFERENCE_BACKEND) private readonly backend: InferenceBackend,
    @Inject(OIP_HTTP_OPTIONS) private readonly options: OipHttpOptions,
    @Optional() @Inject(PredictionLog) private readonly predictionLog?: PredictionLog,
  ) {
    this.serverMetadata = { name: options.server.name, version: options.server.version, extensions: [] };
  }

  @Get()
  server(): ServerMetadata {
    return this.serverMetadata;
  }

  @Get('health/live')
  live(): { live: true } {
    return { live: true };
  }

  @Get('health/ready')
  async ready(): Promise<{ ready: true }> {
    if (!(await this.backend.isReady())) throw MspError.unavailable('not ready: no model can be served yet');
    return { ready: true };
  }

  @Get('models')
  async models(): Promise<{ models: ModelMetadata[] }> {
    return { models: await this.backend.listModels() };
  }

  @Get('models/:model')
  model(@Param('model') model: string): Promise<ModelMetadata> {
    return this.backend.modelMetadata(model);
  }

  @Get('models/:model/versions/:version')
  modelVersion(@Param('model') model: string, @Param('version') version: string): Promise<ModelMetadata> {
    return this.backend.modelMetadata(model, version);
  }

  @Get('models/:model/ready')
  modelReady(@Param('model') model: string): Promise<{ name: string; ready: true }> {
    return this.checkModelReady(model, undefined);
  }

  @Get('models/:model/versions/:version/ready')
  modelVersionReady(
    @Param('model') model: string,
    @Param('version') version: string,
  ): Promise<{ name: string; ready: true }> {
    return this.checkModelReady(model, version);
  }

  @Post('models/:model/infer')
  @HttpCode(200)
  infer(
    @Param('model') model: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<InferResponse> {
    return this.runInference(model, undefined, body, request, reply);
  }

  @Post('models/:model/versions/:version/infer')
  @HttpCode(200)
  inferVersion(
    @Param('model') model: string,
    @Param('version') version: string,
    @Body() body: unknown,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<InferResponse> {
    return this.runInference(model, version, body, request, reply);
  }

  private async checkModelReady(model: string, version: string | undefined): Promise<{ name: string; ready: true }> {
    // Metadata first: an unknown model is a 404, not "not ready".
    await this.backend.modelMetadata(model, version);
    if (!(await this.backend.isModelReady(model, version))) {
      const name = version === undefined ? `model '${model}'` : `model '${model}' version '${version}'`;
      throw MspError.unavailable(`${name} is not ready`);
    }
    return { name: model, ready: true };
  }

  private runInference(
    model: string,
    version: string | undefined,
    body: unknown,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<InferResponse> {
    const bodyId = typeof body === 'object' && body !== null ? (body as { id?: unknown }).id : undefined;
    const requestId = resolveRequestId(request, bodyId);
    reply.header(HttpHeaders.requestId, requestId);
    const timeoutMs = requestTimeoutMs(request.headers[HttpHeaders.timeoutMs], this.options.timeouts);
    if (body === undefined || body === null) {
      throw MspError.badRequest('the request body is missing: send an inference request as application/json');
    }
    const inferRequest = parseInferRequest(body);
    const context = new HttpInferContext(requestId, deadlineIn(timeoutMs), reply);
    const answer = this.backend.infer(model, version, inferRequest, context);
    const pattern = this.backend.predictionPattern?.(model) ?? 'sync';
    const experiment = this.backend.experimentOf?.(model, inferRequest, context);
    const experimentOfAnswer = (response: InferResponse) => this.backend.experimentOfAnswer?.(model, response);
    this.predictionLog?.follow({ requestId, pattern, model, version, inputs: inferRequest.inputs, experiment, experimentOfAnswer, trace: context.trace }, answer);
    return answer;
  }
}
