import { readdirSync, readFileSync } from 'node:fs';

/** USER_HZ: 100 on every mainstream Linux build. */
const TICKS_PER_SECOND = 100;

/** The pid whose command line contains every fragment (e.g. workerd + its entry socket). */
export function findPid(...fragments: string[]): number | null {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      if (fragments.every((f) => cmdline.includes(f))) return Number(entry);
    } catch {
      // the process ended while we looked
    }
  }
  return null;
}

/**
 * CPU time (user + system) a process has used, in ms. Unlike requests/s on a shared two-core box,
 * CPU time per request does not depend on what else is running.
 */
export function cpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
}
