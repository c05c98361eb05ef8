import type { ParseArgsConfig } from 'node:util';
import type { LdmClient } from '../client';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;
export type Values = Record<string, string | boolean | string[] | boolean[] | undefined>;

export interface CommandContext {
  /** Resolves base URL and key (flags, env, .data/stack.json) on first use. */
  client(): LdmClient;
  baseUrl(): string | undefined;
  stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  stderr: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  json: boolean;
  quiet: boolean;
  cwd: string;
  /** The process environment (commands with their own credentials read them here). */
  env: Record<string, string | undefined>;
}

export interface Command {
  name: string;
  summary: string;
  /** Shown by `ldm <name> --help`, after `usage: ldm `. */
  usage: string;
  options: OptionSpec;
  run(ctx: CommandContext, values: Values, positionals: string[]): Promise<number>;
}

/** Exit codes: 0 ok, 1 the API or network failed, 2 bad usage, 3 the generation failed or was canceled. */
export const EXIT = { ok: 0, error: 1, usage: 2, generationFailed: 3, interrupted: 130 } as const;

export class UsageError extends Error {}

/** A whole-number flag; ranges are left to the API, whose error names the limit. */
export function intFlag(values: Values, name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || !/^-?\d+$/.test(raw.trim()))
    throw new UsageError(`--${name} must be a whole number, got ${JSON.stringify(raw)}`);
  return Number(raw);
}

export function numberFlag(values: Values, name: string): number | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : Number.NaN;
  if (!Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got ${JSON.stringify(raw)}`);
  return n;
}

export function stringFlag(values: Values, name: string): string | undefined {
  const raw = values[name];
  return typeof raw === 'string' ? raw : undefined;
}

export function printJson(ctx: CommandContext, value: unknown): void {
  ctx.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
