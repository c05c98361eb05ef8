import { RespError, type RespValue } from './resp-value';
import type { ScriptRegistry } from './script-flags';

/**
 * Commands that change the state of the connection they run on. Every request shares pooled
 * connections, so these would leak into other clients' commands (or, like SUBSCRIBE and MONITOR,
 * turn the socket into a push stream). Upstash's REST API has no use for them either.
 */
const CONNECTION_STATE_COMMANDS = new Set([
  'auth',
  'client',
  'discard',
  'exec',
  'hello',
  'monitor',
  'multi',
  'psubscribe',
  'psync',
  'punsubscribe',
  'quit',
  'replconf',
  'reset',
  'select',
  'ssubscribe',
  'subscribe',
  'sunsubscribe',
  'sync',
  'unsubscribe',
  'unwatch',
  'watch',
]);

/**
 * Commands that may block their connection. Upstash's REST API answers them at once instead of
 * waiting; the bridge gets the same effect by running them inside MULTI/EXEC, where Redis never
 * blocks, so one BLPOP cannot stall every request queued behind it on a pooled socket.
 */
const BLOCKING_COMMANDS = new Set([
  'blmove',
  'blmpop',
  'blpop',
  'brpop',
  'brpoplpush',
  'bzmpop',
  'bzpopmax',
  'bzpopmin',
  'wait',
  'waitaof',
]);

export type CommandPlan =
  | { kind: 'rejected'; error: RespError }
  | {
      kind: 'direct' | 'non-blocking';
      command: string[];
      /** Turns Redis's reply into the one Upstash would give (e.g. SCRIPT LOAD's hash). */
      adjustReply?: (reply: RespValue) => RespValue;
    };

/** Decides how one client command reaches Redis: as is, rewritten, made non-blocking, or refused. */
export function planCommand(args: string[], scripts: ScriptRegistry): CommandPlan {
  const name = args[0].toLowerCase();
  if (CONNECTION_STATE_COMMANDS.has(name)) {
    return {
      kind: 'rejected',
      error: new RespError(
        `ERR Command is not available: '${name}' (the REST bridge shares its Redis connections between requests)`,
      ),
    };
  }
  const nonBlocking =
    BLOCKING_COMMANDS.has(name) ||
    ((name === 'xread' || name === 'xreadgroup') && args.some((arg) => arg.toLowerCase() === 'block'));
  const kind = nonBlocking ? 'non-blocking' : 'direct';

  if ((name === 'eval' || name === 'eval_ro') && args.length > 1) {
    const command = args.slice();
    command[1] = scripts.prepare(args[1]).script;
    return { kind, command };
  }
  if ((name === 'evalsha' || name === 'evalsha_ro') && args.length > 1) {
    const command = args.slice();
    command[1] = scripts.resolve(args[1]);
    return { kind, command };
  }
  if (name === 'script' && args.length > 2) {
    const sub = args[1].toLowerCase();
    if (sub === 'load' && args.length === 3) {
      const { script, originalSha } = scripts.prepare(args[2]);
      if (originalSha === null) return { kind, command: args };
      // Redis hashes the rewritten text; the client will call EVALSHA with the hash of what it sent.
      const answer = Buffer.from(originalSha, 'latin1');
      return {
        kind,
        command: [args[0], args[1], script],
        adjustReply: (reply) => (reply instanceof RespError ? reply : answer),
      };
    }
    if (sub === 'exists') {
      return { kind, command: [args[0], args[1], ...args.slice(2).map((sha) => scripts.resolve(sha))] };
    }
  }
  return { kind, command: args };
}
