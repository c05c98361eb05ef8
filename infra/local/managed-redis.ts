import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, homedir } from 'node:os';
import { join } from 'node:path';
import { findOnPath } from './find-on-path';

/**
 * The Redis `npm start` builds when neither REDIS_URL nor a redis-server on PATH is there.
 * 7.2 is the newest line under the BSD licence (7.4 moved to RSALv2/SSPL, 8.x adds AGPLv3), is
 * still patched, and is what Debian's 7.0 (CI) behaves like. The hash is from redis/redis-hashes.
 */
export const MANAGED_REDIS = {
  version: '7.2.15',
  sha256: '7bf7975331511fdb788e85dae63964b128fccee1df026a10db57444babc9c9c4',
  mirror: 'https://download.redis.io/releases',
  /** The 7.2 source archives are about 3.4 MB; a mirror sending more than this is refused. */
  maxArchiveBytes: 64 * 1024 * 1024,
} as const;

/**
 * redis-memory-server reads these (REDISMS_*) and would then download an archive itself, with no
 * hash check, instead of building the verified one we put in its cache: they are unset around it.
 */
const REDISMS_DOWNLOAD_ENV = [
  'REDISMS_DOWNLOAD_URL',
  'REDISMS_DOWNLOAD_MIRROR',
  'REDISMS_IGNORE_DOWNLOAD_CACHE',
];

export const REDIS_ALTERNATIVES =
  'Either install redis-server (the fast path: sudo apt-get install -y redis-server on Debian/Ubuntu, ' +
  'brew install redis on macOS), or set REDIS_URL to a Redis 6.2+ you already run ' +
  '(e.g. docker run -p 6379:6379 redis:7.2, then REDIS_URL=redis://127.0.0.1:6379 npm start).';

export interface ManagedRedisOptions {
  /** Where built binaries are kept (one folder per version). */
  cacheDir: string;
  version?: string;
  sha256?: string;
  /** Base URL the source archive `redis-<version>.tar.gz` is fetched from. */
  mirror?: string;
  /** The largest archive accepted (default MANAGED_REDIS.maxArchiveBytes). */
  maxArchiveBytes?: number;
  /** PATH searched for make and a C compiler. */
  path?: string;
  /** One line at a time, for the launcher's progress output. */
  progress?: (line: string) => void;
}

/** Outside node_modules, so `npm ci` (which empties it) does not throw away a minute's build. */
export function defaultRedisCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.LDM_REDIS_CACHE_DIR) return env.LDM_REDIS_CACHE_DIR;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'ldm-platform', 'redis');
}

export function managedRedisBinary(cacheDir: string, version: string = MANAGED_REDIS.version): string {
  return join(cacheDir, version, 'redis-server');
}

class ManagedRedisError extends Error {}

const fail = (what: string): never => {
  throw new ManagedRedisError(`${what}\n${REDIS_ALTERNATIVES}`);
};

/**
 * The path of a redis-server built from the pinned source release: from the cache, or fetched
 * (TLS verified by fetch, then the archive's SHA-256 checked against the pinned one, because a
 * swapped archive would be compiled and run) and built with make through redis-memory-server.
 */
export async function obtainManagedRedis(options: ManagedRedisOptions): Promise<string> {
  const version = options.version ?? MANAGED_REDIS.version;
  const sha256 = options.sha256 ?? MANAGED_REDIS.sha256;
  const mirror = (options.mirror ?? MANAGED_REDIS.mirror).replace(/\/$/, '');
  const progress = options.progress ?? (() => {});
  const binary = managedRedisBinary(options.cacheDir, version);
  if (existsSync(binary)) return binary;

  const path = options.path ?? process.env.PATH;
  const compiler = ['cc', 'gcc', 'clang'].find((name) => findOnPath(name, path));
  if (!findOnPath('make', path) || !compiler) {
    fail(
      `Cannot build Redis ${version}: building it needs make and a C compiler, and ` +
        `${findOnPath('make', path) ? 'no C compiler (cc, gcc, clang)' : 'no make'} was found on PATH.`,
    );
  }

  progress(
    `no REDIS_URL and no redis-server on PATH: building Redis ${version} once (1 to 4 minutes; later starts reuse it)`,
  );
  mkdirSync(options.cacheDir, { recursive: true });
  const archiveName = `redis-${version}.tar.gz`;
  const url = `${mirror}/${archiveName}`;
  const archive = await download(
    url,
    sha256,
    options.maxArchiveBytes ?? MANAGED_REDIS.maxArchiveBytes,
    progress,
  );
  // redis-memory-server looks for the archive under this name before it would download one.
  const archivePath = join(options.cacheDir, archiveName);
  writeFileSync(`${archivePath}.part`, archive);
  renameSync(`${archivePath}.part`, archivePath);

  progress(`building Redis ${version} with make (once; kept in ${options.cacheDir}) ...`);
  const started = Date.now();
  const ticker = setInterval(
    () => progress(`still building Redis ${version} ... ${Math.round((Date.now() - started) / 1000)} s`),
    15_000,
  );
  // Redis builds in parallel fine; the package runs a plain `make` that inherits our env.
  const savedEnv = new Map(['MAKEFLAGS', ...REDISMS_DOWNLOAD_ENV].map((name) => [name, process.env[name]]));
  process.env.MAKEFLAGS ??= `-j${availableParallelism()}`;
  for (const name of REDISMS_DOWNLOAD_ENV) delete process.env[name];
  try {
    const { RedisBinary } = await import('redis-memory-server');
    const built = await RedisBinary.getPath({
      version,
      downloadDir: options.cacheDir,
      systemBinary: '',
      // Build from the archive verified above, never one it fetched itself.
      ignoreDownloadCache: false,
    });
    if (built !== binary) fail(`Building Redis ${version} left its binary at ${built}, expected ${binary}.`);
    return binary;
  } catch (error) {
    if (error instanceof ManagedRedisError) throw error;
    rmSync(join(options.cacheDir, version), { recursive: true, force: true });
    const detail = String((error as Error).message ?? error)
      .trim()
      .split('\n')
      .slice(-3)
      .join(' | ');
    return fail(`Building Redis ${version} from source failed (make and a C compiler are needed): ${detail}`);
  } finally {
    clearInterval(ticker);
    for (const [name, value] of savedEnv) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
    rmSync(archivePath, { force: true });
  }
}

async function download(
  url: string,
  sha256: string,
  maxBytes: number,
  progress: (line: string) => void,
): Promise<Buffer> {
  progress(`downloading ${url} ...`);
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(120_000) });
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (error as Error).message;
    return fail(`Cannot download ${url}: ${why} (is this machine offline or behind a proxy?).`);
  }
  if (!response.ok || !response.body) return fail(`Cannot download ${url}: HTTP ${response.status}.`);
  const total = Number(response.headers.get('content-length')) || 0;
  const tooLarge = () =>
    fail(
      `Refusing ${url}: it is larger than ${(maxBytes / 1_048_576).toFixed(0)} MB (a Redis source archive is a few MB).`,
    );
  if (total > maxBytes) {
    await response.body.cancel().catch(() => {});
    tooLarge();
  }
  const chunks: Buffer[] = [];
  let received = 0;
  let lastReport = Date.now();
  try {
    for await (const chunk of response.body) {
      chunks.push(Buffer.from(chunk));
      received += chunk.byteLength;
      // Counted as it arrives: a body without Content-Length (or lying about it) is cut off too.
      if (received > maxBytes) break;
      if (Date.now() - lastReport > 2_000) {
        lastReport = Date.now();
        const mb = (received / 1_048_576).toFixed(1);
        progress(`downloading ... ${mb} MB${total ? ` of ${(total / 1_048_576).toFixed(1)} MB` : ''}`);
      }
    }
  } catch (error) {
    return fail(`Cannot download ${url}: the transfer broke off (${(error as Error).message}).`);
  }
  if (received > maxBytes) tooLarge();
  const archive = Buffer.concat(chunks);
  const actual = createHash('sha256').update(archive).digest('hex');
  if (actual !== sha256) {
    fail(`Refusing ${url}: its SHA-256 is ${actual}, the pinned one is ${sha256}.`);
  }
  return archive;
}
