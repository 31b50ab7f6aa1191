/**
 * Does nats-server itself drop a wedged (SIGSTOPped) member of a queue group while requests keep
 * flowing to it? Raw nats.js, no service of ours: two subscriber processes answer `probe.echo` in
 * one queue group, a closed loop of 8 requesters (1 s timeout) keeps them busy, one subscriber is
 * SIGSTOPped 2 s in, and `/connz` is polled to see when the server closes its connection.
 *
 *   node bench/dist/nats-liveness.probe.js [--ping-interval 2s] [--ping-max 2] [--write-deadline 10s]
 *     [--max-pending 64MB] [--seconds 20]
 *
 * Prints one JSON line: when (if) the stopped client was dropped, and the requests that timed out
 * per second after the stop. The reference for docs/reliability.md ("nats-server settings").
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { connect } from '@nats-io/transport-node';
import { findFreePort } from '@msp/topology';

const SUBJECT = 'probe.echo';

async function subscriber(url: string, name: string): Promise<void> {
  const nc = await connect({ servers: url, name });
  nc.subscribe(SUBJECT, { queue: 'probe', callback: (_error, msg) => void msg.respond(msg.data) });
  await nc.flush();
  process.stdout.write('ready\n');
}

async function waitFor(check: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check().catch(() => false))) {
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      subscriber: { type: 'string' },
      url: { type: 'string' },
      'ping-interval': { type: 'string', default: '2s' },
      'ping-max': { type: 'string', default: '2' },
      'write-deadline': { type: 'string', default: '10s' },
      'max-pending': { type: 'string', default: '64MB' },
      seconds: { type: 'string', default: '20' },
    },
  });
  if (values.subscriber) return subscriber(values.url!, values.subscriber);

  const dir = await mkdtemp(join(tmpdir(), 'msp-nats-probe-'));
  const [port, monitor] = [await findFreePort(), await findFreePort()];
  const config = [
    `listen: 127.0.0.1:${port}`,
    `http: 127.0.0.1:${monitor}`,
    `ping_interval: "${values['ping-interval']}"`,
    `ping_max: ${values['ping-max']}`,
    `write_deadline: "${values['write-deadline']}"`,
    `max_pending: ${values['max-pending']}`,
  ].join('\n');
  await writeFile(join(dir, 'nats.conf'), config);
  const server = spawn('nats-server', ['-c', join(dir, 'nats.conf')], { stdio: 'ignore' });
  const children: ChildProcess[] = [];
  try {
    await waitFor(async () => (await fetch(`http://127.0.0.1:${monitor}/varz`)).ok, 10_000, 'nats-server did not start');
    const url = `nats://127.0.0.1:${port}`;
    for (const name of ['probe-wedged', 'probe-healthy']) {
      const child = spawn(process.execPath, [process.argv[1]!, '--subscriber', name, '--url', url], { stdio: ['ignore', 'pipe', 'inherit'] });
      children.push(child);
      await new Promise<void>((resolve) => child.stdout!.once('data', () => resolve()));
    }
    const connected = async (): Promise<boolean> => {
      const connz = (await (await fetch(`http://127.0.0.1:${monitor}/connz?limit=100`)).json()) as { connections?: { name?: string }[] };
      return (connz.connections ?? []).some((connection) => connection.name === 'probe-wedged');
    };
    const nc = await connect({ servers: url, name: 'probe-requester' });
    const seconds = Number(values.seconds);
    const started = performance.now();
    const stopAt = 2_000;
    const timedOut = new Array<number>(seconds + 1).fill(0);
    let droppedAfterMs: number | undefined;
    setTimeout(() => children[0]!.kill('SIGSTOP'), stopAt);
    const watch = (async () => {
      await new Promise((resolve) => setTimeout(resolve, stopAt));
      while (performance.now() - started < seconds * 1_000 && droppedAfterMs === undefined) {
        if (!(await connected())) droppedAfterMs = Math.round(performance.now() - started - stopAt);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    let requests = 0;
    const client = async (): Promise<void> => {
      while (performance.now() - started < seconds * 1_000) {
        const at = performance.now();
        requests += 1;
        try {
          await nc.request(SUBJECT, 'x', { timeout: 1_000 });
        } catch {
          timedOut[Math.max(0, Math.floor((at - started - stopAt) / 1_000))]! += 1;
        }
      }
    };
    await Promise.all([...Array.from({ length: 8 }, client), watch]);
    await nc.close();
    console.log(
      JSON.stringify({
        settings: { pingInterval: values['ping-interval'], pingMax: values['ping-max'], writeDeadline: values['write-deadline'], maxPending: values['max-pending'] },
        requests,
        droppedAfterStopMs: droppedAfterMs ?? `not within ${seconds * 1_000 - stopAt} ms`,
        timedOutPerSecondAfterStop: timedOut,
      }),
    );
  } finally {
    for (const child of children) {
      child.kill('SIGCONT');
      child.kill('SIGKILL');
    }
    server.kill('SIGTERM');
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
