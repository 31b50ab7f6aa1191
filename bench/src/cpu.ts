import { readFileSync, readdirSync } from 'node:fs';

/** Linux clock ticks per second for /proc times (USER_HZ); 100 on every mainstream kernel. */
const TICKS_PER_SECOND = 100;

/** CPU time (user + system) a process has used so far, in ms; undefined if it is gone. */
export function processCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the parenthesised command name; utime and stime are fields 14 and 15.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Pids of processes whose command name is exactly `name` (e.g. the local nats-server), and with `argument`, whose command line has it. */
export function pidsNamed(name: string, argument?: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== name) continue;
      if (argument === undefined || readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0').includes(argument)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

/** Measures the CPU each named process spends while `work` runs. */
export async function measureCpu<T>(
  processes: Record<string, number | undefined>,
  work: () => Promise<T>,
): Promise<{ result: T; cpuMs: Record<string, number> }> {
  const before = new Map<string, number>();
  for (const [name, pid] of Object.entries(processes)) {
    const ms = pid === undefined ? undefined : processCpuMs(pid);
    if (ms !== undefined) before.set(name, ms);
  }
  const self = process.cpuUsage();
  const result = await work();
  const used = process.cpuUsage(self);
  const cpuMs: Record<string, number> = { 'load generator': (used.user + used.system) / 1000 };
  for (const [name, pid] of Object.entries(processes)) {
    const start = before.get(name);
    const end = pid === undefined ? undefined : processCpuMs(pid);
    if (start !== undefined && end !== undefined) cpuMs[name] = end - start;
  }
  return { result, cpuMs };
}

/** Resident memory of a process in MB (VmRSS); undefined if it is gone. */
export function processRssMb(pid: number | undefined): number | undefined {
  if (pid === undefined) return undefined;
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Math.round(Number(match[1]) / 1024) : undefined;
  } catch {
    return undefined;
  }
}
