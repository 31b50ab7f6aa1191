import { Controller, Get, Header } from '@nestjs/common';
import { stringify } from 'yaml';
import { OPENAPI_DOCUMENT, type JsonObject } from './openapi.document.js';

/** Serves the gateway's OpenAPI 3.1 document (openapi.document.ts) as JSON and as YAML. */
@Controller()
export class OpenApiController {
  private readonly yaml = stringify(OPENAPI_DOCUMENT, { aliasDuplicateObjects: false });

  @Get('openapi.json')
  json(): JsonObject {
    return OPENAPI_DOCUMENT;
  }

  @Get('openapi.yaml')
  @Header('content-type', 'application/yaml; charset=utf-8')
  yamlDocument(): string {
    return this.yaml;
  }
}
