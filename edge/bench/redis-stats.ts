import { spawnSync } from 'node:child_process';

/**
 * Calls per command from `INFO commandstats` (redis-cli on the bench's own Redis). Commands a Lua
 * script runs are counted there too, under their own names, next to the EVALSHA that ran them.
 */
export function commandStats(port: number): Record<string, number> {
  const out = spawnSync('redis-cli', ['-p', String(port), 'INFO', 'commandstats'], { encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`redis-cli failed: ${out.stderr}`);
  const stats: Record<string, number> = {};
  for (const line of out.stdout.split('\n')) {
    const match = /^cmdstat_([^:]+):calls=(\d+)/.exec(line.trim());
    if (match) stats[match[1]] = Number(match[2]);
  }
  return stats;
}

/**
 * What ran between two snapshots, without the bench's own INFO calls nor the COMMAND GETKEYS the
 * local bridge adds to `allow-key-locking` scripts (its Upstash key check, script-flags.ts; Upstash
 * runs nothing of the kind).
 */
export function diffStats(before: Record<string, number>, after: Record<string, number>) {
  const diff: Record<string, number> = {};
  for (const [name, calls] of Object.entries(after)) {
    const d = calls - (before[name] ?? 0);
    if (d > 0 && name !== 'info' && name !== 'command|getkeys') diff[name] = d;
  }
  const total = Object.values(diff).reduce((a, b) => a + b, 0);
  const scripts = (diff.evalsha ?? 0) + (diff.eval ?? 0);
  return { diff, total, scripts };
}
