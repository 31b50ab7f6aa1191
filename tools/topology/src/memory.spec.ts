import { describe, expect, it } from 'vitest';
import { formatMemory, residentBytes, topologyMemory } from './memory.js';

describe('topology memory', () => {
  it.runIf(process.platform === 'linux')('reads the RSS of a live process and sums a topology', async () => {
    const own = await residentBytes(process.pid);
    expect(own).toBeGreaterThan(10 * 1024 * 1024);
    const report = await topologyMemory(new Map([['self', { pid: process.pid }], ['gone', { pid: undefined }]]));
    expect(report?.byService.map(({ name }) => name)).toEqual(['self']);
    expect(report?.totalBytes).toBe(report?.byService[0]?.bytes);
  });

  it('formats the total and each service in MB', () => {
    expect(
      formatMemory({ totalBytes: 300 * 1024 * 1024, byService: [{ name: 'gateway', bytes: 100 * 1024 * 1024 }, { name: 'predictor-iris', bytes: 200 * 1024 * 1024 }] }),
    ).toBe('300 MB RSS in 2 processes (MB: gateway 100, predictor-iris 200)');
  });

  it('is null when nothing could be read', async () => {
    expect(await topologyMemory(new Map([['gone', { pid: undefined }]]))).toBeNull();
  });
});
