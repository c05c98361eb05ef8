import { readFileSync, writeFileSync } from 'node:fs';

function statusField(pid: number, name: 'VmRSS' | 'VmHWM'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
  if (!match) throw new Error(`no ${name} in /proc/${pid}/status`);
  return Number(match[1]) * 1024;
}

/** Resident bytes of a process now. */
export const residentBytes = (pid: number) => statusField(pid, 'VmRSS');

/**
 * Measures the peak resident memory a process reaches while `work` runs, above what it held
 * before: Linux resets the high-water mark (VmHWM) to the current RSS when 5 is written to
 * /proc/PID/clear_refs, so the mark after `work` is the peak during it. An upper bound on what
 * the work allocated: native buffers (the request body as workerd received it, local R2) count too.
 */
export async function peakResidentGrowth<T>(
  pid: number,
  work: () => Promise<T>,
): Promise<{ bytes: number; result: T }> {
  const before = residentBytes(pid);
  writeFileSync(`/proc/${pid}/clear_refs`, '5');
  const result = await work();
  return { bytes: statusField(pid, 'VmHWM') - before, result };
}
