import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Secrets of one local stack, generated once and kept under .data/ (never in the repo). */
export interface LocalSecrets {
  admin_token: string;
  worker_token: string;
  upstash_token: string;
  url_signing_secret: string;
}

/** What a newcomer, the CLI and the SDK read to reach the running stack. */
export interface StackInfo {
  base_url: string;
  api_key: string;
  admin_token: string;
  worker_token: string;
  account_id: string;
  started_at: string;
}

const token = (prefix: string) => `${prefix}${randomBytes(24).toString('base64url')}`;

function writePrivate(path: string, value: unknown): void {
  writeFileSync(path, `${JSON.stringify(value, null, 2)}\n`, { mode: 0o600 });
  chmodSync(path, 0o600);
}

export function loadOrCreateSecrets(dataDir: string): LocalSecrets {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, 'secrets.json');
  if (existsSync(path)) return JSON.parse(readFileSync(path, 'utf8')) as LocalSecrets;
  const secrets: LocalSecrets = {
    admin_token: token('adm_'),
    worker_token: token('wrk_'),
    upstash_token: token('ups_'),
    url_signing_secret: token(''),
  };
  writePrivate(path, secrets);
  return secrets;
}

export function readStackInfo(dataDir: string): StackInfo | undefined {
  const path = join(dataDir, 'stack.json');
  if (!existsSync(path)) return undefined;
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as StackInfo;
  } catch {
    return undefined;
  }
}

export function writeStackInfo(dataDir: string, info: StackInfo): void {
  writePrivate(join(dataDir, 'stack.json'), info);
}
