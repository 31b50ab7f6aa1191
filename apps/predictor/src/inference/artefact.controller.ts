import { Controller } from '@nestjs/common';
import { Ctx, MessagePattern } from '@nestjs/microservices';
import { MspError, Subjects, type ArtefactReply } from '@msp/contracts';
import type { NatsRequestContext } from '@msp/messaging';
import { InferEndpoints } from './inference.endpoints.js';
import { InferenceService } from './inference.service.js';

/**
 * `msp.artefact.<model>.<version>`: the ONNX file this process runs, byte for byte, with the
 * SHA-256 it was verified against at load. The gateway hands it to browsers (edge prediction),
 * so the console runs exactly what the server runs, whether it came from files or the registry.
 */
@Controller()
export class ArtefactController {
  constructor(private readonly inference: InferenceService) {}

  @MessagePattern(InferEndpoints.artefact)
  artefact(@Ctx() context: NatsRequestContext): ArtefactReply {
    // Every endpoint is tagged with its model (inference.endpoints.ts); one process may serve several.
    const { runner, sha256, onnx } = this.inference.served(context.tag!).loaded;
    // A model-load predictor swaps versions in place: never hand out one version's file as another's.
    if (context.subject !== Subjects.artefact(runner.name, runner.version)) {
      throw MspError.notFound(`this predictor now serves ${runner.name}@${runner.version}, not what ${context.subject} names`);
    }
    return { model: runner.name, version: runner.version, sha256, bytes: onnx.byteLength, onnx: Buffer.from(onnx).toString('base64') };
  }
}
