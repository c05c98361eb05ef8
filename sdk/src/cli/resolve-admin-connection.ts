import { readFileSync } from 'node:fs';
import { ConnectionError, findStackFile } from './resolve-connection';

export interface AdminConnection {
  baseUrl: string;
  adminToken: string;
}

/**
 * Flags beat the environment ($LDM_BASE_URL, $LDM_ADMIN_TOKEN), which beats `.data/stack.json`
 * of `npm start`. As with API keys, the stack file's admin token goes only to the stack's own URL.
 */
export function resolveAdminConnection(input: {
  flags: { baseUrl?: string; adminToken?: string };
  env: Record<string, string | undefined>;
  cwd: string;
}): AdminConnection {
  const { flags, env, cwd } = input;
  const stack = findStackFile(cwd, env);
  const stackInfo = stack ? readAdminToken(stack.path) : undefined;
  const rawUrl = flags.baseUrl || env.LDM_BASE_URL || stack?.base_url;
  if (!rawUrl) {
    throw new ConnectionError(
      'no API base URL: pass --base-url, set LDM_BASE_URL, or start the local stack (npm start writes .data/stack.json)',
    );
  }
  const baseUrl = rawUrl.replace(/\/+$/, '');
  try {
    new URL(baseUrl);
  } catch {
    throw new ConnectionError(`base URL ${JSON.stringify(rawUrl)} is not a URL`);
  }
  const sameAsStack = stack?.base_url?.replace(/\/+$/, '') === baseUrl;
  const adminToken = flags.adminToken || env.LDM_ADMIN_TOKEN || (sameAsStack ? stackInfo : undefined);
  if (!adminToken) {
    throw new ConnectionError(`no admin token for ${baseUrl}: pass --admin-token or set LDM_ADMIN_TOKEN`);
  }
  return { baseUrl, adminToken };
}

function readAdminToken(path: string): string | undefined {
  // findStackFile has checked that the file is JSON; it keeps only the URL and API key.
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as { admin_token?: unknown };
  return typeof parsed.admin_token === 'string' ? parsed.admin_token : undefined;
}
