import { describe, expect, it } from 'vitest';
import { Readiness } from './readiness.js';

describe('Readiness', () => {
  it('is ready only when every condition holds, checks asked each time', () => {
    let connected = false;
    const readiness = new Readiness(['model', 'nats']);
    expect(readiness.isReady).toBe(false);
    readiness.set('model', true);
    readiness.set('nats', () => connected);
    expect(readiness.report()).toEqual({ model: true, nats: false });
    connected = true;
    expect(readiness.isReady).toBe(true);
  });

  it('refuses a condition it was not given', () => {
    expect(() => new Readiness(['model']).set('modle', true)).toThrow(/unknown readiness condition 'modle'/);
  });

  it('with no conditions is ready', () => {
    expect(new Readiness([]).isReady).toBe(true);
  });
});
