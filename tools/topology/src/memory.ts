import { readFile } from 'node:fs/promises';

/** Resident memory of one process in bytes (Linux: `/proc/<pid>/status` VmRSS); undefined elsewhere or once it has gone. */
export async function residentBytes(pid: number | undefined): Promise<number | undefined> {
  if (pid === undefined) return undefined;
  const status = await readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
  const kb = status?.match(/^VmRSS:\s+(\d+)\s+kB$/m)?.[1];
  return kb === undefined ? undefined : Number(kb) * 1024;
}

export interface MemoryReport {
  /** Sum over the processes whose RSS could be read. */
  totalBytes: number;
  byService: { name: string; bytes: number }[];
}

/** RSS of every running service of a topology, and their total; null where /proc is not there to read. */
export async function topologyMemory(services: ReadonlyMap<string, { pid: number | undefined }>): Promise<MemoryReport | null> {
  const byService: MemoryReport['byService'] = [];
  for (const [name, service] of services) {
    const bytes = await residentBytes(service.pid);
    if (bytes !== undefined) byService.push({ name, bytes });
  }
  if (byService.length === 0) return null;
  return { totalBytes: byService.reduce((sum, { bytes }) => sum + bytes, 0), byService };
}

/** `612 MB RSS in 9 processes (gateway 98, predictor-iris 131, …)`. */
export function formatMemory(report: MemoryReport): string {
  const mb = (bytes: number): number => Math.round(bytes / 1024 / 1024);
  const parts = report.byService.map(({ name, bytes }) => `${name} ${mb(bytes)}`).join(', ');
  return `${mb(report.totalBytes)} MB RSS in ${report.byService.length} processes (MB: ${parts})`;
}
