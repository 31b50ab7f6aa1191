import { EventEmitter } from 'node:events';
import type { FastifyReply } from 'fastify';
import { describe, expect, it } from 'vitest';
import { HttpInferContext } from './request-context.js';

/** A stand-in for Fastify's reply: only `raw`'s close event and flags matter here. */
function fakeReply(state: { destroyed?: boolean; writableFinished?: boolean } = {}) {
  const raw = Object.assign(new EventEmitter(), { destroyed: false, writableFinished: false, ...state });
  return { reply: { raw } as unknown as FastifyReply, raw };
}

describe('HttpInferContext', () => {
  it('carries the request id and deadline', () => {
    const context = new HttpInferContext('r1', 123, fakeReply().reply);
    expect([context.requestId, context.deadline]).toEqual(['r1', 123]);
  });

  it('aborts its signal when the connection closes before the answer was sent', () => {
    const { reply, raw } = fakeReply();
    const context = new HttpInferContext('r1', 0, reply);
    expect(context.signal.aborted).toBe(false);
    raw.emit('close');
    expect(context.signal.aborted).toBe(true);
  });

  it('does not abort once the answer was sent, and is aborted at once if the client had already gone', () => {
    const sent = fakeReply();
    const context = new HttpInferContext('r1', 0, sent.reply);
    const signal = context.signal;
    sent.raw.writableFinished = true;
    sent.raw.emit('close');
    expect(signal.aborted).toBe(false);
    expect(new HttpInferContext('r2', 0, fakeReply({ destroyed: true }).reply).signal.aborted).toBe(true);
  });
});
