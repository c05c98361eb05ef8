import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';

export interface Connection {
  baseUrl: string;
  apiKey: string;
  /** Where each value came from, for `--verbose` and error messages. */
  sources: { baseUrl: string; apiKey: string };
}

export interface ConnectionInputs {
  flags: { baseUrl?: string; apiKey?: string };
  env: Record<string, string | undefined>;
  cwd: string;
}

export class ConnectionError extends Error {}

interface StackFile {
  path: string;
  base_url?: string;
  api_key?: string;
}

/** `.data/stack.json` written by `npm start`, in cwd or the nearest directory above it (or $LDM_DATA_DIR). */
export function findStackFile(cwd: string, env: Record<string, string | undefined>): StackFile | undefined {
  const candidates: string[] = [];
  if (env.LDM_DATA_DIR) candidates.push(resolve(cwd, env.LDM_DATA_DIR, 'stack.json'));
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    candidates.push(join(dir, '.data', 'stack.json'));
    if (dirname(dir) === dir) break;
  }
  for (const path of candidates) {
    if (!existsSync(path)) continue;
    try {
      const parsed = JSON.parse(readFileSync(path, 'utf8')) as { base_url?: unknown; api_key?: unknown };
      return {
        path,
        base_url: typeof parsed.base_url === 'string' ? parsed.base_url : undefined,
        api_key: typeof parsed.api_key === 'string' ? parsed.api_key : undefined,
      };
    } catch {
      throw new ConnectionError(
        `${path} is not valid JSON; restart the stack (npm start) or pass --base-url`,
      );
    }
  }
  return undefined;
}

/**
 * Flags beat the environment, which beats the local stack's file. The file's key is only used
 * with the file's own URL: a key for the local stack must never be sent to another server.
 */
export function resolveConnection({ flags, env, cwd }: ConnectionInputs): Connection {
  const stack = findStackFile(cwd, env);
  const fromFlagOrEnv = (flag: string | undefined, name: string) =>
    flag
      ? { value: flag, source: 'flag' }
      : env[name]
        ? { value: env[name] as string, source: `$${name}` }
        : undefined;

  const url =
    fromFlagOrEnv(flags.baseUrl, 'LDM_BASE_URL') ??
    (stack?.base_url ? { value: stack.base_url, source: stack.path } : undefined);
  if (!url) {
    throw new ConnectionError(
      'no API base URL: pass --base-url, set LDM_BASE_URL, or start the local stack (npm start writes .data/stack.json)',
    );
  }
  const baseUrl = url.value.replace(/\/+$/, '');
  try {
    new URL(baseUrl);
  } catch {
    throw new ConnectionError(`base URL ${JSON.stringify(url.value)} (from ${url.source}) is not a URL`);
  }
  const sameAsStack = stack?.base_url?.replace(/\/+$/, '') === baseUrl;
  const key =
    fromFlagOrEnv(flags.apiKey, 'LDM_API_KEY') ??
    (stack?.api_key && sameAsStack ? { value: stack.api_key, source: stack.path } : undefined);
  if (!key) {
    throw new ConnectionError(`no API key for ${baseUrl}: pass --api-key or set LDM_API_KEY`);
  }
  return { baseUrl, apiKey: key.value, sources: { baseUrl: url.source, apiKey: key.source } };
}
