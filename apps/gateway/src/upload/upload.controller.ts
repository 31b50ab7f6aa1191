import { Controller, HttpCode, Inject, Optional, Param, Post, Req, Res } from '@nestjs/common';
import { deadlineIn, MspError, type InferRequest, type InferResponse } from '@msp/contracts';
import { HttpHeaders, INFERENCE_BACKEND, inferLogged, requestTimeoutMs, resolveRequestId, traceOf, type InferenceBackend } from '@msp/oip-server';
import { PredictionLog } from '@msp/prediction-log';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { UPLOAD_INPUT, UPLOAD_OPTIONS, type UploadOptions } from './upload.options.js';

/**
 * For people with curl: `POST /v1/models/<model>/upload` with one or more image files as
 * `multipart/form-data` (`curl -F image=@digit.png`). The files become the OIP request
 * `{inputs: [{name: 'image', datatype: 'BYTES', shape: [N], data: [<base64>…]}]}` for the model
 * (e.g. the `mnist-image` pipeline), answered as the OIP route would answer it.
 */
@Controller('v1/models')
export class UploadController {
  constructor(
    @Inject(INFERENCE_BACKEND) private readonly backend: InferenceBackend,
    @Inject(UPLOAD_OPTIONS) private readonly options: UploadOptions,
    @Optional() @Inject(PredictionLog) private readonly log?: PredictionLog,
  ) {}

  @Post(':model/upload')
  @HttpCode(200)
  async upload(
    @Param('model') model: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<InferResponse> {
    const requestId = resolveRequestId(request);
    void reply.header(HttpHeaders.requestId, requestId);
    const deadline = deadlineIn(requestTimeoutMs(request.headers[HttpHeaders.timeoutMs], this.options.timeouts));
    const images = await this.readFiles(request);
    const inferRequest: InferRequest = {
      id: requestId,
      inputs: [{ name: UPLOAD_INPUT, datatype: 'BYTES', shape: [images.length], data: images }],
    };
    return inferLogged(this.backend, this.log, model, undefined, inferRequest, { requestId, deadline, trace: traceOf(request) });
  }

  /** Every file part as base64 (the OIP JSON form of BYTES); other fields are ignored. */
  private async readFiles(request: FastifyRequest): Promise<string[]> {
    if (!request.isMultipart()) {
      throw MspError.badRequest('send the images as multipart/form-data, e.g. curl -F image=@digit.png');
    }
    const images: string[] = [];
    try {
      for await (const part of request.parts()) {
        if (part.type !== 'file') continue;
        const bytes = await part.toBuffer();
        images.push(bytes.toString('base64'));
      }
    } catch (error) {
      throw toUploadError(error, this.options);
    }
    if (images.length === 0) throw MspError.badRequest('the upload holds no file: add one with -F image=@digit.png');
    return images;
  }
}

/** The multipart parser's limit errors carry a status; they become clear 413s, the rest 400s. */
function toUploadError(error: unknown, options: UploadOptions): MspError {
  if (MspError.is(error)) return error;
  const code = (error as { code?: unknown } | null)?.code;
  if (code === 'FST_REQ_FILE_TOO_LARGE') {
    return MspError.payloadTooLarge(`a file is larger than this server accepts (the limit is ${options.maxFileBytes} bytes)`);
  }
  if (code === 'FST_FILES_LIMIT' || code === 'FST_PARTS_LIMIT') {
    return MspError.payloadTooLarge(`too many files: at most ${options.maxFiles} per upload`);
  }
  const message = error instanceof Error ? error.message : String(error);
  return MspError.badRequest(`the multipart upload cannot be read: ${message}`, error);
}
