import { type CommandPlan, planCommand } from './command-plan';
import type { RedisPool } from './redis-pool';
import { type RedisCommand, RespError, type RespValue } from './resp-value';
import type { ScriptRegistry } from './script-flags';

const MULTI: RedisCommand = ['MULTI'];
const EXEC: RedisCommand = ['EXEC'];

export type TransactionOutcome = { ok: true; replies: RespValue[] } | { ok: false; error: string };

/** Runs client commands against Redis with the semantics of Upstash's `/pipeline` and `/multi-exec`. */
export class CommandRunner {
  constructor(
    private readonly pool: RedisPool,
    private readonly scripts: ScriptRegistry,
  ) {}

  /**
   * Runs the commands in order as one pipelined write; each reply (or RespError) lands at its
   * command's index. Not atomic, like Upstash's pipeline: other requests may interleave.
   */
  async pipeline(commands: string[][]): Promise<RespValue[]> {
    const plans = commands.map((command) => planCommand(command, this.scripts));
    const wire: RedisCommand[] = [];
    for (const plan of plans) {
      if (plan.kind === 'direct') wire.push(plan.command);
      else if (plan.kind === 'non-blocking') wire.push(MULTI, plan.command, EXEC);
    }
    const replies = wire.length > 0 ? await this.pool.send(wire) : [];
    let next = 0;
    return plans.map((plan) => {
      if (plan.kind === 'rejected') return plan.error;
      let reply: RespValue;
      if (plan.kind === 'direct') {
        reply = replies[next++];
      } else {
        const queued = replies[next + 1];
        const executed = replies[next + 2];
        next += 3;
        reply = queued instanceof RespError ? queued : Array.isArray(executed) ? executed[0] : executed;
      }
      return adjust(plan, reply);
    });
  }

  /**
   * Runs the commands atomically: MULTI, the commands and EXEC leave in one write on one
   * connection, so Redis executes them back to back. A command Redis refuses to queue (unknown,
   * wrong arity) discards the whole transaction, as Upstash does; runtime errors stay per entry.
   */
  async transaction(commands: string[][]): Promise<TransactionOutcome> {
    const plans = commands.map((command) => planCommand(command, this.scripts));
    const wire: RedisCommand[] = [MULTI];
    for (const plan of plans) {
      if (plan.kind === 'rejected') return { ok: false, error: plan.error.message };
      wire.push(plan.command);
    }
    wire.push(EXEC);
    const replies = await this.pool.send(wire);
    for (let i = 1; i < replies.length - 1; i++) {
      const queued = replies[i];
      if (queued instanceof RespError) return { ok: false, error: queued.message };
    }
    const executed = replies[replies.length - 1];
    if (executed instanceof RespError) return { ok: false, error: executed.message };
    if (!Array.isArray(executed)) return { ok: false, error: 'EXECABORT Transaction discarded' };
    return { ok: true, replies: executed.map((reply, i) => adjust(plans[i], reply)) };
  }
}

function adjust(plan: CommandPlan, reply: RespValue): RespValue {
  return plan.kind !== 'rejected' && plan.adjustReply ? plan.adjustReply(reply) : reply;
}
