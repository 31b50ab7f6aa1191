import { Body, Controller, Get, Param, Put, Req } from '@nestjs/common';
import { MspError, type ParameterRecord } from '@msp/contracts';
import { ParameterError } from '@msp/registry';
import type { FastifyRequest } from 'fastify';
import { ManagementAuth } from './management-auth.js';
import { ParametersService } from './parameters.service.js';

/**
 * GET /v1/parameters (every value in force, with who set it, when and what it replaced),
 * GET /v1/parameters/:name (the value and its audit trail), PUT /v1/parameters/:name
 * `{"value": …, "reason"?: …}` (null clears it). Changes need `x-management-token` when
 * MANAGEMENT_TOKEN is configured (401 without, 403 wrong).
 */
@Controller('v1/parameters')
export class ParametersController {
  constructor(
    private readonly parameters: ParametersService,
    private readonly auth: ManagementAuth,
  ) {}

  @Get()
  list(): { parameters: Record<string, ParameterRecord> } {
    return { parameters: this.parameters.all() };
  }

  @Get(':name')
  async one(@Param('name') name: string): Promise<{ name: string; current: ParameterRecord | null; history: ParameterRecord[] }> {
    const table = await this.open();
    const [current, history] = await Promise.all([table.get(name), table.history(name)]);
    return { name, current: current ?? null, history };
  }

  @Put(':name')
  async set(@Param('name') name: string, @Body() body: unknown, @Req() request: FastifyRequest): Promise<{ name: string; current: ParameterRecord }> {
    const by = this.auth.authorise(request, 'changing a parameter');
    if (typeof body !== 'object' || body === null || !('value' in body)) throw MspError.badRequest('send {"value": <new value>, "reason"?: "<why>"} as application/json');
    const { value, reason } = body as { value: unknown; reason?: unknown };
    try {
      return { name, current: await (await this.open()).set(name, value, by, typeof reason === 'string' ? reason.slice(0, 500) : undefined) };
    } catch (error) {
      if (error instanceof ParameterError) throw MspError.badRequest(error.message);
      throw error;
    }
  }

  private async open() {
    try {
      return await this.parameters.open();
    } catch (error) {
      throw MspError.unavailable('the parameters bucket is not reachable (JetStream)', error);
    }
  }
}
