import { describe, expect, it } from 'vitest';
import { MspError } from '@msp/contracts';
import type { FastifyRequest } from 'fastify';
import { isSafeRequestId, requestIdOf, requestTimeoutMs, resolveRequestId } from './request-context.js';

const timeouts = { defaultMs: 1000, maxMs: 5000 };
const requestWith = (headers: Record<string, string>): FastifyRequest => ({ headers }) as unknown as FastifyRequest;

describe('requestTimeoutMs', () => {
  it('uses the default without a header', () => {
    expect(requestTimeoutMs(undefined, timeouts)).toBe(1000);
  });

  it('lets a client ask for less or more, capped at the maximum', () => {
    expect(requestTimeoutMs('200', timeouts)).toBe(200);
    expect(requestTimeoutMs(' 3000 ', timeouts)).toBe(3000);
    expect(requestTimeoutMs('999999', timeouts)).toBe(5000);
  });

  it.each(['', 'abc', '0', '-5', '1.5', '1e3', '100, 200', '9'.repeat(40)])('rejects %j with 400', (value) => {
    const call = () => requestTimeoutMs(value, timeouts);
    expect(call).toThrow(MspError);
    expect(call).toThrow(/x-timeout-ms/);
  });

  it('rejects a repeated header', () => {
    expect(() => requestTimeoutMs(['1', '2'], timeouts)).toThrow(MspError);
  });
});

describe('request ids', () => {
  it('prefers the header, then the body id, then a new one', () => {
    expect(resolveRequestId(requestWith({ 'x-request-id': 'from-header' }), 'from-body')).toBe('from-header');
    expect(resolveRequestId(requestWith({}), 'from-body')).toBe('from-body');
    expect(resolveRequestId(requestWith({}), undefined)).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('ignores ids that are unsafe to echo as a header', () => {
    expect(isSafeRequestId('a b')).toBe(false);
    expect(isSafeRequestId('line\nbreak')).toBe(false);
    expect(isSafeRequestId('x'.repeat(300))).toBe(false);
    expect(isSafeRequestId(42)).toBe(false);
    expect(resolveRequestId(requestWith({}), 'naïve id')).not.toBe('naïve id');
  });

  it('remembers the id on the request', () => {
    const request = requestWith({});
    const id = resolveRequestId(request, 'abc');
    expect(requestIdOf(request)).toBe(id);
  });
});
