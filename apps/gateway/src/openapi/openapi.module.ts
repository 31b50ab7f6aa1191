import { Module } from '@nestjs/common';
import { OpenApiController } from './openapi.controller.js';

/** `GET /openapi.json` and `GET /openapi.yaml`: the document of every gateway route. */
@Module({ controllers: [OpenApiController] })
export class OpenApiModule {}
