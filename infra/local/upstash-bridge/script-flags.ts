import { createHash } from 'node:crypto';

/**
 * Shebang flags only Upstash understands. `@upstash/ratelimit` >= 2.1 opens every script with
 * `#!lua flags=allow-key-locking`; real Redis refuses unknown flags ("Unexpected flag in script
 * shebang"), so the bridge drops them before Redis sees the script.
 */
const UPSTASH_ONLY_FLAGS = new Set(['allow-key-locking']);

/** Largest number of original -> rewritten hashes remembered; oldest entries go first. */
const MAX_REMEMBERED_SCRIPTS = 10_000;

export function sha1Hex(text: string): string {
  return createHash('sha1').update(text, 'utf8').digest('hex');
}

/**
 * Returns the script without Upstash-only flags, or null when it has none (the common case, left
 * byte-identical). The shebang stays on its line so Lua error line numbers do not shift.
 */
export function stripUpstashOnlyFlags(script: string): string | null {
  if (!script.startsWith('#!')) return null;
  const newline = script.indexOf('\n');
  const lineEnd = newline === -1 ? script.length : script[newline - 1] === '\r' ? newline - 1 : newline;
  let changed = false;
  const kept: string[] = [];
  for (const [index, token] of script.slice(0, lineEnd).split(' ').entries()) {
    if (index === 0 || !token.startsWith('flags=')) {
      kept.push(token);
      continue;
    }
    const flags = token.slice('flags='.length).split(',');
    const remaining = flags.filter((flag) => !UPSTASH_ONLY_FLAGS.has(flag));
    if (remaining.length === flags.length) kept.push(token);
    else {
      changed = true;
      if (remaining.length > 0) kept.push('flags=' + remaining.join(','));
    }
  }
  return changed ? kept.join(' ') + script.slice(lineEnd) : null;
}

/**
 * Upstash's rule for a script flagged `allow-key-locking`: every key a command inside it names must
 * be one of the script's KEYS, else `ERR Dynamic keys are not allowed ...` (Upstash docs, Key-Based
 * Locking). Real Redis never checks, so a flagged script that builds a key name would pass here and
 * fail in production. The bridge enforces it: `redis` is shadowed by a table whose call/pcall ask
 * Redis which arguments are keys (COMMAND GETKEYS, so every command's key positions are Redis's
 * own) and refuse undeclared ones. One line, put in front of the script's second line, so Lua error
 * line numbers stay those of the client's text.
 */
export const DECLARED_KEYS_GUARD =
  'local redis = (function(r) local declared = {} for _, k in ipairs(KEYS) do declared[k] = true end ' +
  "local function refused(...) local ok, names = pcall(r.call, 'COMMAND', 'GETKEYS', ...) " +
  'if not ok then return nil end for _, k in ipairs(names) do if not declared[k] then return { err = ' +
  '"ERR Dynamic keys are not allowed in Lua scripts when \'allow-key-locking\' flag is set. Key was: " .. k } ' +
  'end end return nil end ' +
  'return setmetatable({ call = function(...) local e = refused(...) if e then error(e) end return r.call(...) end, ' +
  'pcall = function(...) return refused(...) or r.pcall(...) end }, { __index = r }) end)(redis); ';

/** The script with DECLARED_KEYS_GUARD at the start of its second line (after the shebang). */
export function withDeclaredKeysGuard(script: string): string {
  const newline = script.indexOf('\n');
  if (newline === -1) return `${script}\n${DECLARED_KEYS_GUARD}`;
  return script.slice(0, newline + 1) + DECLARED_KEYS_GUARD + script.slice(newline + 1);
}

/**
 * Remembers which hash Redis knows a rewritten script by. Clients compute the hash of the script
 * they wrote, so EVALSHA/SCRIPT EXISTS with that hash are translated, and SCRIPT LOAD answers with it.
 */
export class ScriptRegistry {
  private readonly rewrittenByOriginal = new Map<string, string>();

  /** `checkDeclaredKeys`: refuse undeclared keys in `allow-key-locking` scripts, as Upstash does. */
  constructor(private readonly options: { checkDeclaredKeys: boolean } = { checkDeclaredKeys: true }) {}

  /** Rewrites the script if needed and records the hash pair; returns what Redis should receive. */
  prepare(script: string): { script: string; originalSha: string | null } {
    const stripped = stripUpstashOnlyFlags(script);
    if (stripped === null) return { script, originalSha: null };
    const rewritten = this.options.checkDeclaredKeys ? withDeclaredKeysGuard(stripped) : stripped;
    const originalSha = sha1Hex(script);
    if (!this.rewrittenByOriginal.has(originalSha)) {
      if (this.rewrittenByOriginal.size >= MAX_REMEMBERED_SCRIPTS) {
        const oldest = this.rewrittenByOriginal.keys().next().value;
        if (oldest !== undefined) this.rewrittenByOriginal.delete(oldest);
      }
      this.rewrittenByOriginal.set(originalSha, sha1Hex(rewritten));
    }
    return { script: rewritten, originalSha };
  }

  /**
   * The hash Redis knows. An unknown hash passes through unchanged, so Redis answers NOSCRIPT and
   * clients fall back to EVAL, which records the pair again (e.g. after a bridge restart).
   */
  resolve(sha: string): string {
    return this.rewrittenByOriginal.get(sha.toLowerCase()) ?? sha;
  }
}
