import { type ChildProcess, spawn } from 'node:child_process';
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
  return startLdm(args, options).done;
}

/** Like runLdm, with the live child and its output so far (to signal it mid-run). */
export function startLdm(
  args: string[],
  options: { cwd: string; env?: Record<string, string> },
): { child: ChildProcess; output: () => LdmRun; done: Promise<LdmRun> } {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LDM_')));
  const child = spawn(process.execPath, [LDM_BIN, ...args], {
    cwd: options.cwd,
    env: { ...env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const run: LdmRun = { code: null, stdout: '', stderr: '' };
  child.stdout?.on('data', (d) => {
    run.stdout += d;
  });
  child.stderr?.on('data', (d) => {
    run.stderr += d;
  });
  const done = new Promise<LdmRun>((resolveRun, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolveRun({ ...run, code }));
  });
  return { child, output: () => run, done };
}
