import { connect, type Socket } from 'node:net';
import type { RedisTarget } from './redis-url';
import { encodeCommands } from './resp-encode';
import { RespParser } from './resp-parser';
import { type RedisCommand, RespError, type RespValue } from './resp-value';

/** Redis could not be reached, or the connection broke with these commands in flight. */
export class RedisUnavailableError extends Error {
  constructor(reason: string) {
    super(reason);
    this.name = 'RedisUnavailableError';
  }
}

interface PendingBatch {
  remaining: number;
  replies: RespValue[];
  resolve(replies: RespValue[]): void;
  reject(error: Error): void;
}

/**
 * One pipelined Redis connection. A batch of commands goes out as one write and its replies come
 * back in order, so many HTTP requests can share the socket without waiting for each other.
 * Writes made in the same event-loop iteration are corked together into a single syscall: the
 * HTTP requests that arrived together leave for Redis in one write, and Redis reads and answers
 * them in one go too (under load that is most of the bridge's and Redis's CPU: system calls).
 */
export class RedisConnection {
  private readonly socket: Socket;
  private readonly parser: RespParser;
  private readonly pending: PendingBatch[] = [];
  private corked = false;
  private failure: RedisUnavailableError | null = null;

  constructor(target: RedisTarget) {
    this.socket = connect({ host: target.host, port: target.port, noDelay: true, keepAlive: true });
    this.parser = new RespParser((reply) => this.onReply(reply));
    this.socket.on('data', (chunk: Buffer) => {
      try {
        this.parser.feed(chunk);
      } catch (error) {
        this.fail((error as Error).message);
      }
    });
    this.socket.on('error', (error) => this.fail(error.message));
    this.socket.on('close', () => this.fail('connection to Redis closed'));

    // AUTH and SELECT go first on the wire, so every later command runs authenticated on the right db.
    const setup: RedisCommand[] = [];
    if (target.password !== undefined) {
      setup.push(target.username ? ['AUTH', target.username, target.password] : ['AUTH', target.password]);
    }
    if (target.db !== 0) setup.push(['SELECT', String(target.db)]);
    if (setup.length > 0) {
      this.send(setup).then(
        (replies) => {
          const error = replies.find((r): r is RespError => r instanceof RespError);
          if (error) this.fail(`Redis rejected the connection setup: ${error.message}`);
        },
        () => {},
      );
    }
  }

  /** True while writes are being gathered for this iteration's single flush. */
  get gathering(): boolean {
    return this.corked;
  }

  /** Number of batches still waiting for replies; the pool uses it to spread load. */
  get inFlight(): number {
    return this.pending.length;
  }

  get broken(): boolean {
    return this.failure !== null;
  }

  /** Sends the commands as one write; resolves with one reply per command, errors included as values. */
  send(commands: readonly RedisCommand[]): Promise<RespValue[]> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending.push({ remaining: commands.length, replies: [], resolve, reject });
      if (!this.corked) {
        this.corked = true;
        this.socket.cork();
        // setImmediate, not nextTick: it runs once the I/O callbacks of this iteration (every
        // request that arrived together) are done, a few microseconds later.
        setImmediate(() => {
          this.corked = false;
          this.socket.uncork();
        });
      }
      this.socket.write(encodeCommands(commands));
    });
  }

  close(): void {
    this.fail('connection to Redis closed by the bridge');
  }

  private onReply(reply: RespValue): void {
    const batch = this.pending[0];
    if (batch === undefined) {
      this.fail('Redis sent a reply nobody asked for');
      return;
    }
    batch.replies.push(reply);
    if (--batch.remaining === 0) {
      this.pending.shift();
      batch.resolve(batch.replies);
    }
  }

  /** A broken connection fails everything in flight: whether those commands ran is unknown. */
  private fail(reason: string): void {
    if (this.failure) return;
    const error = new RedisUnavailableError(reason);
    this.failure = error;
    this.socket.destroy();
    for (const batch of this.pending.splice(0)) batch.reject(error);
  }
}
