import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { repoRoot } from '@msp/topology';
import { describe, expect, it } from 'vitest';
import { target } from './support/target.js';

/** `pnpm loadtest` against the deployment under test (`--url`): a table, a JSON file, exit 0 without failures. */
const exec = promisify(execFile);
const { gatewayUrl } = target();

describe('pnpm loadtest', () => {
  it('drives a deployment with open-loop Poisson arrivals and reports throughput, latency and errors', async () => {
    const { stdout } = await exec(process.execPath, [join(repoRoot(), 'bench', 'dist', 'loadtest.js'), '--pattern', 'synchronous', '--url', gatewayUrl, '--rate', '50', '--duration', '2', '--warmup', '0.5'], {
      timeout: 60_000,
    });
    expect(stdout).toMatch(/Poisson arrivals at 50\/s/);
    expect(stdout).toMatch(/req\/s\s+p50 ms\s+p90 ms\s+p99 ms\s+errors/);
    const file = /results: (.+\.json)/.exec(stdout)?.[1];
    expect(file).toBeTruthy();
    const run = JSON.parse(await readFile(file!, 'utf8')) as { arrivals: string; result: { requests: number; errors: number; statuses: Record<string, number>; latencyMs: { p99: number } } };
    expect(run.arrivals).toBe('poisson');
    expect(run.result.errors).toBe(0);
    expect(run.result.statuses['200']).toBe(run.result.requests);
    // 50/s for 2 s: Poisson counts vary (σ ≈ 10); far from 0 and from a closed loop's hundreds.
    expect(run.result.requests).toBeGreaterThan(50);
    expect(run.result.requests).toBeLessThan(180);
    expect(run.result.latencyMs.p99).toBeGreaterThan(0);
  }, 90_000);

  it('refuses a bad invocation with exit 2 and the usage', async () => {
    const failed = await exec(process.execPath, [join(repoRoot(), 'bench', 'dist', 'loadtest.js'), '--pattern', 'synchronous', '--rate', 'fast', '--duration', '1']).catch((error: { code: number; stderr: string }) => error);
    expect(failed).toMatchObject({ code: 2 });
    expect((failed as { stderr: string }).stderr).toMatch(/--rate must be a positive number[\s\S]*usage: pnpm loadtest/);
  });
});
