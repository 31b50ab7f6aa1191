import { Body, Controller, Get, Inject, Param, Put, Req } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { ErrorCode, MspError, type ParameterRecord } from '@msp/contracts';
import { ParameterError } from '@msp/registry';
import type { FastifyRequest } from 'fastify';
import { GATEWAY_CONFIG } from '../config/config.module.js';
import type { GatewayConfig } from '../config/gateway-config.schema.js';
import { ParametersService } from './parameters.service.js';

/** The header a change must carry when MANAGEMENT_TOKEN is set. */
export const MANAGEMENT_TOKEN_HEADER = 'x-management-token';
/** Who makes a change (recorded in the audit trail); else the client's address. */
export const ACTOR_HEADER = 'x-actor';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/**
 * GET /v1/parameters (every value in force, with who set it, when and what it replaced),
 * GET /v1/parameters/:name (the value and its audit trail), PUT /v1/parameters/:name
 * `{"value": …, "reason"?: …}` (null clears it). Changes need `x-management-token` when
 * MANAGEMENT_TOKEN is configured (401 without, 403 wrong).
 */
@Controller('v1/parameters')
export class ParametersController {
  private readonly token: Buffer | undefined;

  constructor(
    private readonly parameters: ParametersService,
    @Inject(GATEWAY_CONFIG) config: GatewayConfig,
  ) {
    this.token = config.managementToken === '' ? undefined : digest(config.managementToken);
  }

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
    this.authorise(request);
    if (typeof body !== 'object' || body === null || !('value' in body)) throw MspError.badRequest('send {"value": <new value>, "reason"?: "<why>"} as application/json');
    const { value, reason } = body as { value: unknown; reason?: unknown };
    const actor = request.headers[ACTOR_HEADER];
    const by = typeof actor === 'string' && actor !== '' ? actor.slice(0, 128) : `anonymous@${request.ip}`;
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

  private authorise(request: FastifyRequest): void {
    if (!this.token) return;
    const presented = request.headers[MANAGEMENT_TOKEN_HEADER];
    if (typeof presented !== 'string' || presented === '') throw new MspError(ErrorCode.Unauthorized, `changing a parameter needs the ${MANAGEMENT_TOKEN_HEADER} header`);
    if (!timingSafeEqual(digest(presented), this.token)) throw new MspError(ErrorCode.Forbidden, 'wrong management token');
  }
}
