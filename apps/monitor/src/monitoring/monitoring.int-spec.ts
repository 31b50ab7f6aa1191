import type { INestMicroservice } from '@nestjs/common';
import type { NatsConnection } from '@nats-io/transport-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogSubjects, MonitoringSubjects, PredictionLogStream, type AlertEvent, type PredictionRecord } from '@msp/contracts';
import { monitorFixture, type MonitorFixture } from '../testing/monitor.fixture.js';
import { MonitoringService } from './monitoring.service.js';

const MODEL = 'spec-model';

function record(i: number, status: number = i % 10 === 0 ? 504 : 200): PredictionRecord {
  return {
    request_id: `r-${i}`,
    pattern: 'sync',
    model: MODEL,
    ts: Date.now(),
    input: { sha256: 'ab'.repeat(32), bytes: 10, truncated: true },
    output: [{ name: 'label', datatype: 'BYTES', shape: [1], data: ['a'] }],
    status,
    latency_ms: { total: 2 },
  };
}

/**
 * The monitoring window is not one process's memory: a monitor started after the traffic finds
 * the last window in the log, and every replica sees every record (its own ordered consumer),
 * while the store's durable consumer shares the records out between them.
 */
describe('prediction monitoring windows across monitor restarts and replicas', () => {
  // The replicas share one store, as deployed (the fixture's PostgreSQL schema).
  let fixture: MonitorFixture;
  let nc: NatsConnection;
  const monitors: INestMicroservice[] = [];

  const startMonitor = async (name: string): Promise<MonitoringService> => {
    const { app } = await fixture.start(name, { MONITOR_EVALUATE_MS: '100', MONITOR_KEEP_FIRING_MS: process.env['SPEC_KEEP_FIRING_MS'] ?? '2000' });
    monitors.push(app);
    return app.get(MonitoringService);
  };

  const publish = async (from: number, count: number, status?: number): Promise<void> => {
    for (let i = from; i < from + count; i++) nc.publish(PredictionLogStream.subject(MODEL), JSON.stringify(record(i, status)));
    await nc.flush();
  };

  const countSeen = async (monitoring: MonitoringService, expected: number): Promise<number> => {
    const stop = Date.now() + 10_000;
    for (;;) {
      const count = await monitoring.view(MODEL).then((view) => view.window.count, () => 0);
      if (count >= expected || Date.now() > stop) return count;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  };

  beforeAll(async () => {
    fixture = await monitorFixture();
    nc = fixture.nc;
  }, 30_000);

  afterAll(async () => {
    await fixture?.close();
  });

  it('a monitor started after the traffic finds the window in the log', async () => {
    // The stream exists once a first monitor (or any publisher) has made it.
    const first = await startMonitor('first');
    await publish(0, 30);
    expect(await countSeen(first, 30)).toBe(30);
    await monitors.pop()?.close();

    const restarted = await startMonitor('restarted');
    expect(await countSeen(restarted, 30)).toBe(30);
    const view = await restarted.view(MODEL);
    expect(view.error_rate).toBe(0.1);
  });

  it('two replicas each see every record', async () => {
    const second = await startMonitor('second');
    const [restarted] = monitors.map((app) => app.get(MonitoringService));
    await publish(30, 20);
    expect(await countSeen(restarted!, 50)).toBe(50);
    expect(await countSeen(second, 50)).toBe(50);
  });

  it('ground truth posted to one replica counts in every replica’s live accuracy (it is read from the store)', async () => {
    const post = async (id: string, label: string): Promise<void> => {
      // The store may not hold the prediction yet (404): the feedback endpoint says so, then it does.
      const stop = Date.now() + 10_000;
      for (;;) {
        const reply = (await nc.request(LogSubjects.feedback, JSON.stringify({ id, label }), { timeout: 5_000 })).json<Record<string, unknown>>();
        if (reply['joined'] === true) return;
        if (Date.now() > stop) throw new Error(`feedback for ${id} not joined: ${JSON.stringify(reply)}`);
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    };
    await post('r-1', 'a');
    await post('r-2', 'b');
    for (const monitoring of monitors.map((app) => app.get(MonitoringService))) {
      const stop = Date.now() + 10_000;
      let accuracy = (await monitoring.view(MODEL)).accuracy;
      while (accuracy.samples < 2 && Date.now() < stop) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        accuracy = (await monitoring.view(MODEL)).accuracy;
      }
      expect(accuracy).toEqual({ samples: 2, value: 0.5 });
    }
  });

  /** The error-rate alert events announced while `steps` run. */
  const errorRateEvents = async (steps: (states: () => string[], until: (done: () => boolean) => Promise<void>) => Promise<void>): Promise<void> => {
    const events: AlertEvent[] = [];
    const subscription = nc.subscribe(MonitoringSubjects.alert(MODEL), { callback: (_error, msg) => void events.push(msg.json<AlertEvent>()) });
    await nc.flush();
    const states = (): string[] => events.filter((event) => event.kind === 'error_rate').map((event) => event.state);
    const until = async (done: () => boolean): Promise<void> => {
      const stop = Date.now() + 15_000;
      while (!done() && Date.now() < stop) await new Promise((resolve) => setTimeout(resolve, 100));
      // Both replicas evaluate every 100 ms: a duplicate would have arrived by now.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
    };
    try {
      await steps(states, until);
    } finally {
      subscription.unsubscribe();
    }
  };

  it('two replicas announce an alert once when it fires and once when it clears', async () => {
    await errorRateEvents(async (states, until) => {
      // 50 records with 5 failures so far; 40 failures more: 45 / 90 fail.
      await publish(100, 40, 503);
      await until(() => states().length > 0);
      expect(states()).toEqual(['firing']);
      // 45 failures in 500: 9 %, under the 10 % threshold (and kept under it for MONITOR_KEEP_FIRING_MS).
      await publish(200, 410, 200);
      await until(() => states().length > 1);
      expect(states()).toEqual(['firing', 'resolved']);
    });
  });

  it('an error rate wavering around its threshold is one alert: it clears only after staying under it for MONITOR_KEEP_FIRING_MS', async () => {
    await errorRateEvents(async (states, until) => {
      // 45 failures in 500 so far; 10 more: 55 / 510 = 10.8 %.
      await publish(1_000, 10, 503);
      await until(() => states().length > 0);
      expect(states()).toEqual(['firing']);
      // 55 / 560 = 9.8 %: under the threshold for 0.7 s (seven evaluations), then 65 / 570 = 11.4 %.
      await publish(1_100, 50, 200);
      await new Promise((resolve) => setTimeout(resolve, 700));
      await publish(1_200, 10, 503);
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      expect(states()).toEqual(['firing']);
      // 65 / 870 = 7.5 %, and it stays there.
      await publish(1_300, 300, 200);
      await until(() => states().length > 1);
      expect(states()).toEqual(['firing', 'resolved']);
    });
  });
});
