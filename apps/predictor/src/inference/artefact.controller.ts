import { Controller } from '@nestjs/common';
import { MessagePattern } from '@nestjs/microservices';
import type { ArtefactReply } from '@msp/contracts';
import { ServedModel } from '../model/served-model.js';
import { InferEndpoints } from './inference.endpoints.js';

/**
 * `msp.artefact.<model>.<version>`: the ONNX file this process runs, byte for byte, with the
 * SHA-256 it was verified against at load. The gateway hands it to browsers (edge prediction),
 * so the console runs exactly what the server runs, whether it came from files or the registry.
 */
@Controller()
export class ArtefactController {
  constructor(private readonly served: ServedModel) {}

  @MessagePattern(InferEndpoints.artefact)
  artefact(): ArtefactReply {
    const { runner, sha256, onnx } = this.served.loaded;
    return { model: runner.name, version: runner.version, sha256, bytes: onnx.byteLength, onnx: Buffer.from(onnx).toString('base64') };
  }
}
