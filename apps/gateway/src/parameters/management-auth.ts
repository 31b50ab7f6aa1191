import { Inject, Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { ErrorCode, MspError } from '@msp/contracts';
import type { FastifyRequest } from 'fastify';
import { GATEWAY_CONFIG } from '../config/config.module.js';
import type { GatewayConfig } from '../config/gateway-config.schema.js';

/** The header a change must carry when MANAGEMENT_TOKEN is set. */
export const MANAGEMENT_TOKEN_HEADER = 'x-management-token';
/** Who makes a change (recorded in the audit trail); else the client's address. */
export const ACTOR_HEADER = 'x-actor';

const digest = (value: string): Buffer => createHash('sha256').update(value).digest();

/** The management routes' guard (parameters, rollouts): `x-management-token` when MANAGEMENT_TOKEN is configured (401 without, 403 wrong). */
@Injectable()
export class ManagementAuth {
  private readonly token: Buffer | undefined;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    this.token = config.managementToken === '' ? undefined : digest(config.managementToken);
  }

  /** Throws 401/403 unless the request may change `what`; returns who it is (x-actor, else anonymous@<address>). */
  authorise(request: FastifyRequest, what: string): string {
    if (this.token) {
      const presented = request.headers[MANAGEMENT_TOKEN_HEADER];
      if (typeof presented !== 'string' || presented === '') throw new MspError(ErrorCode.Unauthorized, `${what} needs the ${MANAGEMENT_TOKEN_HEADER} header`);
      if (!timingSafeEqual(digest(presented), this.token)) throw new MspError(ErrorCode.Forbidden, 'wrong management token');
    }
    const actor = request.headers[ACTOR_HEADER];
    return typeof actor === 'string' && actor !== '' ? actor.slice(0, 128) : `anonymous@${request.ip}`;
  }
}
