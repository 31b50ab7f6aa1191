import { createHash } from 'node:crypto';
import { Controller, Get, Param, Req, Res } from '@nestjs/common';
import { ARTEFACT_DIGEST_HEADER, ArtefactReplySchema, deadlineIn, MspError, Subjects } from '@msp/contracts';
import { NatsBus } from '@msp/messaging';
import { resolveRequestId } from '@msp/oip-server';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ModelRegistry } from '../discovery/model-registry.service.js';

/** Fetching an artefact from a predictor waits this long at most. */
const ARTEFACT_TIMEOUT_MS = 10_000;

/**
 * Edge prediction: the ONNX file a model's predictors run, fetched from one of them over NATS
 * (`msp.artefact.<model>.<version>`) and served as bytes with its SHA-256 in `x-msp-sha256`;
 * the console checks the digest before it runs the file in the browser (onnxruntime-web).
 * The predictor is the source, not the registry's Object Store: it holds exactly the bytes it
 * serves, also when it loaded them from files the registry never saw (model-in-image).
 */
@Controller('v1/models')
export class ArtefactController {
  constructor(
    private readonly discovery: ModelRegistry,
    private readonly bus: NatsBus,
  ) {}

  @Get(':model/artefact')
  async latest(@Param('model') model: string, @Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    await this.send(model, undefined, request, reply);
  }

  @Get(':model/versions/:version/artefact')
  async version(
    @Param('model') model: string,
    @Param('version') version: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    await this.send(model, version, request, reply);
  }

  private async send(model: string, version: string | undefined, request: FastifyRequest, reply: FastifyReply): Promise<void> {
    const route = await this.discovery.resolve(model, version);
    // The version requests without one go to: the newest with a running predictor.
    const chosen = route.versions.find((known) => known.instances > 0) ?? route.versions[0];
    if (!chosen) throw MspError.unavailable(`no predictor serves '${model}' right now`);
    const served = chosen.model.version;
    const answer = ArtefactReplySchema.safeParse(
      await this.bus.request(Subjects.artefact(model, served), {}, { deadline: deadlineIn(ARTEFACT_TIMEOUT_MS), requestId: resolveRequestId(request) }),
    );
    if (!answer.success || answer.data.model !== model || answer.data.version !== served) {
      throw MspError.internal(`the predictor of '${model}@${served}' answered an artefact request with something else`);
    }
    const onnx = Buffer.from(answer.data.onnx, 'base64');
    const digest = createHash('sha256').update(onnx).digest('hex');
    if (digest !== answer.data.sha256 || onnx.byteLength !== answer.data.bytes) {
      throw MspError.internal(`the artefact of '${model}@${served}' arrived damaged (sha256 ${digest}, expected ${answer.data.sha256})`);
    }
    await reply
      .status(200)
      .header('content-type', 'application/octet-stream')
      .header(ARTEFACT_DIGEST_HEADER, digest)
      .header('x-msp-model-version', served)
      .header('cache-control', 'no-cache')
      .header('etag', `"${digest}"`)
      .send(onnx);
  }
}
