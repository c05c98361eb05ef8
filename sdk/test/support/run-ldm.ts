import { spawn } from 'node:child_process';
import { resolve } from 'node:path';

export const LDM_BIN = resolve(import.meta.dirname, '../../bin/ldm.js');

export interface LdmRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `ldm` as a user would: a child process, in `cwd`, with no LDM_* variables unless given. */
export function runLdm(
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): Promise<LdmRun> {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LDM_')));
  const child = spawn(process.execPath, [LDM_BIN, ...args], {
    cwd: options.cwd,
    env: { ...env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => {
    stdout += d;
  });
  child.stderr.on('data', (d) => {
    stderr += d;
  });
  return new Promise((resolveRun, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolveRun({ code, stdout, stderr }));
  });
}
