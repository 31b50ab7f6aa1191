import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { MspError } from '@msp/contracts';
import { Hedger } from './hedged-request.js';

const options = { minDelayMs: 10, maxDelayMs: 20, budgetRatio: 0.1 };
const inMs = (ms: number): number => Date.now() + ms;

describe('Hedger', () => {
  it('answers from a second request when the first never answers (a vanished replica)', async () => {
    const hedger = new Hedger(options);
    let calls = 0;
    const started = performance.now();
    const value = await hedger.run(() => {
      calls += 1;
      return calls === 1 ? new Promise<string>(() => undefined) : Promise.resolve('second');
    }, inMs(3000));
    expect(value).toBe('second');
    expect(calls).toBe(2);
    expect(performance.now() - started).toBeLessThan(200);
  });

  it('sends one request when the answer comes in time', async () => {
    const hedger = new Hedger(options);
    let calls = 0;
    await hedger.run(async () => {
      calls += 1;
      return 1;
    }, inMs(3000));
    await sleep(40);
    expect(calls).toBe(1);
  });

  it('never hedges a wrong request (4xx)', async () => {
    const hedger = new Hedger(options);
    let calls = 0;
    await expect(
      hedger.run(async () => {
        calls += 1;
        throw MspError.badRequest('bad shape');
      }, inMs(3000)),
    ).rejects.toThrow('bad shape');
    await sleep(40);
    expect(calls).toBe(1);
  });

  it('waits for the hedge when the first request fails with a 5xx after it started', async () => {
    const hedger = new Hedger(options);
    let calls = 0;
    const value = await hedger.run(async () => {
      calls += 1;
      if (calls === 1) {
        await sleep(60);
        throw MspError.deadlineExceeded('gone');
      }
      return 'hedge';
    }, inMs(3000));
    expect(value).toBe('hedge');
  });

  it('a hedge refused by a busy replica (429) does not fail the request its first try is still answering', async () => {
    const hedger = new Hedger(options);
    let calls = 0;
    const value = await hedger.run(async () => {
      calls += 1;
      if (calls === 1) {
        await sleep(50);
        return 'first';
      }
      throw MspError.tooManyRequests('busy: MAX_IN_FLIGHT', 1);
    }, inMs(3000));
    expect(value).toBe('first');
    expect(calls).toBeGreaterThanOrEqual(2);
  });

  it('refuses with 429 when every try was refused', async () => {
    const hedger = new Hedger(options);
    await expect(hedger.run(() => Promise.reject(MspError.tooManyRequests('busy', 1)), inMs(3000))).rejects.toMatchObject({ code: 429 });
  });

  it('keeps hedges within the budget: a slow model does not double the load', async () => {
    const hedger = new Hedger({ ...options, budgetRatio: 0 });
    let calls = 0;
    const slow = async (): Promise<number> => {
      calls += 1;
      await sleep(30);
      return 1;
    };
    await Promise.all(Array.from({ length: 100 }, () => hedger.run(slow, inMs(3000))));
    // The initial burst allowance only (32), then no more.
    expect(calls).toBeLessThanOrEqual(100 + 32);
  });

  it('does not hedge when too little of the deadline is left', async () => {
    const hedger = new Hedger(options);
    let calls = 0;
    await expect(
      hedger.run(() => {
        calls += 1;
        return sleep(30).then(() => Promise.reject(MspError.deadlineExceeded('late')));
      }, inMs(25)),
    ).rejects.toThrow('late');
    expect(calls).toBe(1);
  });
});
