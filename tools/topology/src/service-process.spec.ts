import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import {
  ServiceExitedError,
  ServiceNotReadyError,
  startService,
  type ReadinessCheck,
  type ServiceProcess,
} from './service-process.js';

// A tiny service: behaviour chosen by argv[2] (signal handlers first, so a test that acts on
// the first line finds them in place), then one pino line and one plain stderr line.
const CHILD = `
const mode = process.argv[2];
if (mode === 'graceful') process.on('SIGTERM', () => { console.log('bye'); process.exit(0); });
if (mode === 'stubborn') process.on('SIGTERM', () => console.log('ignoring SIGTERM'));
console.log(JSON.stringify({ level: 'info', time: Date.now(), service: 'child', msg: 'serving things', port: 1 }));
process.stderr.write('plain stderr line\\n');
if (mode === 'crash') { console.log('about to crash'); setTimeout(() => process.exit(3), 50); }
setInterval(() => {}, 1000);
`;
const script = join(mkdtempSync(join(tmpdir(), 'msp-topology-')), 'child.mjs');
writeFileSync(script, CHILD);

const started: ServiceProcess[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((service) => service.stop({ timeoutMs: 1_000 })));
});

function child(mode: string, name = 'child'): { service: ServiceProcess; lines: string[] } {
  const lines: string[] = [];
  const service = startService(
    { name, command: process.execPath, args: [script, mode] },
    { output: (line) => lines.push(line), colour: false, labelWidth: 8 },
  );
  started.push(service);
  return { service, lines };
}

const serving: ReadinessCheck = { kind: 'log', description: 'serving', match: (line) => /serving/.test(String(line.record?.['msg'])) };

describe('ServiceProcess', () => {
  it('labels and renders each line, keeps them for errors, and sees a line logged before the wait', async () => {
    const { service, lines } = child('graceful');
    await service.waitUntilReady(serving, { timeoutMs: 5_000 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await service.waitUntilReady(serving, { timeoutMs: 1_000 }); // the line is in the past now
    expect(lines).toContain('child    │ plain stderr line');
    expect(lines.find((line) => line.includes('serving things'))).toMatch(/^child {4}│ \d\d:\d\d:\d\d INFO {2}serving things port=1$/);
    expect(service.lastLines()).toContain('plain stderr line');
  });

  it('stops with SIGTERM and reports the exit as expected', async () => {
    const { service, lines } = child('graceful');
    await service.waitUntilReady(serving, { timeoutMs: 5_000 });
    const exit = await service.stop();
    expect(exit).toMatchObject({ code: 0, signal: null, expected: true });
    expect(service.running).toBe(false);
    // stdout and stderr are two pipes: the stderr line may be read after 'bye', so order only stdout.
    expect(lines.filter((line) => !line.includes('plain stderr line')).at(-1)).toBe('child    │ bye');
  });

  it('escalates to SIGKILL when SIGTERM is ignored', async () => {
    const { service } = child('stubborn');
    await service.waitUntilReady(serving, { timeoutMs: 5_000 });
    const exit = await service.stop({ timeoutMs: 300 });
    expect(exit).toMatchObject({ code: null, signal: 'SIGKILL', expected: true });
    expect(service.lastLines()).toContain('ignoring SIGTERM');
  });

  it('kill(signal) ends it at once, as a failure test wants, without a crash report', async () => {
    const { service, lines } = child('stubborn');
    await service.waitUntilReady(serving, { timeoutMs: 5_000 });
    service.kill();
    expect(await service.exited).toMatchObject({ signal: 'SIGKILL', expected: true });
    expect(lines.some((line) => line.includes('✖'))).toBe(false);
  });

  it('reports a crash loudly with its exit code, and a wait fails with the last lines', async () => {
    const { service, lines } = child('crash', 'crasher');
    const exits: number[] = [];
    service.onExit((exit) => exits.push(exit.code ?? -1));
    const error = await service
      .waitUntilReady({ kind: 'log', description: 'never', match: () => false }, { timeoutMs: 5_000 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ServiceExitedError);
    expect((error as Error).message).toMatch(/^crasher exited with code 3; its last \d+ log lines:/);
    expect((error as Error).message).toContain('about to crash');
    expect(service.exitInfo).toMatchObject({ code: 3, expected: false });
    expect(exits).toEqual([3]);
    expect(lines.at(-1)).toBe('crasher  │ ✖ crasher exited with code 3 — nobody asked it to stop');
  });

  it('times out with the service name, what it waited for and its last lines', async () => {
    const { service, lines } = child('graceful');
    // Both first lines are in before the clock starts, however slowly a loaded machine runs the child.
    await service.waitUntilReady(serving, { timeoutMs: 5_000 });
    for (let tries = 0; !lines.some((line) => line.includes('plain stderr line')) && tries < 100; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const error = await service
      .waitUntilReady({ kind: 'log', description: 'a line that never comes', match: () => false }, { timeoutMs: 300 })
      .catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ServiceNotReadyError);
    expect((error as Error).message).toMatch(/^child: not ready after \d+ ms, waiting for a line that never comes/);
    expect((error as Error).message).toContain('plain stderr line');
    expect(service.running).toBe(true);
  });

  it('polls an HTTP URL until it answers 200', async () => {
    let calls = 0;
    const server = createServer((_, response) => {
      calls += 1;
      response.writeHead(calls < 3 ? 503 : 200).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const { service } = child('graceful');
      await service.waitUntilReady({ kind: 'http', urls: [`http://127.0.0.1:${port}/v2/health/ready`] }, { timeoutMs: 5_000, intervalMs: 20 });
      expect(calls).toBe(3);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('reports a command that cannot start', async () => {
    const lines: string[] = [];
    const service = startService({ name: 'ghost', command: 'no-such-program-msp' }, { output: (line) => lines.push(line), colour: false });
    const exit = await service.exited;
    expect(exit.error?.message).toMatch(/ENOENT/);
    expect(lines.at(-1)).toMatch(/ghost could not start: .*ENOENT/);
  });
});
