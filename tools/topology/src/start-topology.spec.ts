import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isPortOpen } from './port.js';
import { ServiceExitedError } from './service-process.js';
import { startTopology, type TopologyOptions } from './topology.js';

// Stand-ins for the built apps, keeping the same contracts: the gateway is ready on
// /v2/health/ready and /v2/models/<m>; a predictor logs "serving …" and answers /health/ready
// on OPS_PORT (or, with HTTP_PORT, /v2/health/ready). STAND_IN_CRASH makes a predictor die during start-up.
const GATEWAY = `
import http from 'node:http';
const started = Date.now();
http.createServer((request, response) => {
  const ready = Date.now() - started > 300;
  response.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify({ url: request.url }));
}).listen(Number(process.env.PORT), '127.0.0.1', () => console.log(JSON.stringify({ level: 'info', msg: 'listening', port: process.env.PORT })));
process.on('SIGTERM', () => process.exit(0));
`;
const PREDICTOR = `
import http from 'node:http';
if (process.env.STAND_IN_CRASH) {
  console.log(JSON.stringify({ level: 'error', msg: 'cannot load ' + (process.env.MODEL_NAME ?? process.env.MODEL_NAMES) }));
  setTimeout(() => process.exit(4), 100);
} else {
  if (process.env.HTTP_PORT) http.createServer((_, response) => response.writeHead(200).end('{}')).listen(Number(process.env.HTTP_PORT), '127.0.0.1');
  let serving = false;
  if (process.env.OPS_PORT) http.createServer((request, response) => response.writeHead(request.url === '/health/ready' && serving ? 200 : 503).end('{}')).listen(Number(process.env.OPS_PORT), '127.0.0.1');
  setTimeout(() => {
    serving = true;
    console.log(JSON.stringify({ level: 'info', msg: 'serving ' + (process.env.MODEL_NAME ?? process.env.MODEL_NAMES), http: process.env.HTTP_PORT ?? null }));
  }, 100);
  setInterval(() => {}, 1000);
}
process.on('SIGTERM', () => process.exit(0));
`;
const folder = mkdtempSync(join(tmpdir(), 'msp-stand-ins-'));
writeFileSync(join(folder, 'gateway.mjs'), GATEWAY);
writeFileSync(join(folder, 'predictor.mjs'), PREDICTOR);
// Preprocess, worker and cache services are ready the same way, on their ops port.
for (const app of ['preprocess', 'worker', 'cache', 'monitor']) writeFileSync(join(folder, `${app}.mjs`), PREDICTOR);

const options: TopologyOptions = {
  ports: { gateway: 0, webSingle: 0 },
  appEntry: (app) => join(folder, `${app}.mjs`),
  output: false,
  colour: false,
  readyTimeoutMs: 15_000,
};

describe('startTopology (with stand-in apps)', () => {
  it('starts every service of "all", waits for each kind of readiness, and stops them', async () => {
    const topology = await startTopology('all', options);
    try {
      expect([...topology.services.keys()]).toEqual([
        'gateway',
        'predictor-iris',
        'predictor-mnist',
        'web-single',
        'preprocess',
        'worker-1',
        'worker-2',
        'cache',
        'monitor',
      ]);
      expect(topology.baseUrl).toBe(topology.urls.gateway);
      expect((await fetch(`${topology.urls.gateway}/v2/models/mnist-cnn`)).status).toBe(200);
      expect((await fetch(`${topology.urls.webSingle}/v2/health/ready`)).status).toBe(200);
      expect(topology.service('web-single').lastLines().join('\n')).toMatch(/serving iris-mlp http=\d+/);
      expect(topology.service('predictor-iris').lastLines().join('\n')).toMatch(/serving iris-softmax,iris-mlp,iris-trees http=null/);
      // The NATS predictor of a model, not the web-single one that also serves iris-mlp.
      expect(topology.predictorOf('iris-mlp')).toBe(topology.service('predictor-iris'));
      expect(topology.predictorOf('mnist-cnn')).toBe(topology.service('predictor-mnist'));
      expect(() => topology.predictorOf('nope')).toThrow(/no NATS predictor serves nope in topology "all"/);
    } finally {
      await topology.stop();
    }
    for (const service of topology.services.values()) expect(service.exitInfo?.expected).toBe(true);
    const { port } = new URL(topology.baseUrl);
    expect(await isPortOpen({ host: '127.0.0.1', port: Number(port) })).toBe(false);
  });

  it('lets a test kill one service and restart it', async () => {
    const topology = await startTopology('synchronous', options);
    try {
      const victim = topology.service('predictor-iris');
      victim.kill('SIGKILL');
      expect(await victim.exited).toMatchObject({ signal: 'SIGKILL', expected: true });
      const fresh = await topology.restart('predictor-iris');
      expect(fresh.running).toBe(true);
      expect(topology.service('predictor-iris')).toBe(fresh);
      expect(() => topology.service('nope')).toThrow(/no service "nope" in topology "synchronous"/);
    } finally {
      await topology.stop();
    }
  });

  it('fails at once, naming the service and its last lines, when one dies during start-up', async () => {
    const started = Date.now();
    const error = await startTopology('synchronous', {
      ...options,
      serviceEnv: { 'predictor-mnist': { STAND_IN_CRASH: '1' } },
    }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(ServiceExitedError);
    expect((error as Error).message).toMatch(/^predictor-mnist exited with code 4; .*\n.*ERROR cannot load mnist-mlp,mnist-cnn/);
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('refuses a port that is already taken', async () => {
    const topology = await startTopology('web-single', options);
    try {
      const { port } = new URL(topology.baseUrl);
      await expect(startTopology('web-single', { ...options, ports: { webSingle: Number(port) } })).rejects.toThrow(
        new RegExp(`port ${port} \\(webSingle\\) is already in use`),
      );
    } finally {
      await topology.stop();
    }
  });
});
