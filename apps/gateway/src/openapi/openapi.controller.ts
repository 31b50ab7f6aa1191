import { Controller, Get, Header } from '@nestjs/common';
import { stringify } from 'yaml';
import { OPENAPI_DOCUMENT, type JsonObject } from './openapi.document.js';

/** Serves the gateway's OpenAPI 3.1 document (openapi.document.ts) as JSON and as YAML. */
@Controller()
export class OpenApiController {
  /** Written on first request: ~90 ms of start-up otherwise, for a route few call. */
  private yaml: string | undefined;

  @Get('openapi.json')
  json(): JsonObject {
    return OPENAPI_DOCUMENT;
  }

  @Get('openapi.yaml')
  @Header('content-type', 'application/yaml; charset=utf-8')
  yamlDocument(): string {
    this.yaml ??= stringify(OPENAPI_DOCUMENT, { aliasDuplicateObjects: false });
    return this.yaml;
  }
}
