import { RedisConnection, RedisUnavailableError } from './redis-connection';
import type { RedisTarget } from './redis-url';
import type { RedisCommand, RespValue } from './resp-value';

/**
 * A few pipelined connections, picked by least work in flight (but commands issued in the same
 * event-loop iteration share one connection, so they leave in one write). A connection that broke is
 * replaced on next use, so a Redis restart costs the requests in flight and nothing after.
 */
export class RedisPool {
  private readonly connections: RedisConnection[];
  private closed = false;

  constructor(
    private readonly target: RedisTarget,
    size: number,
  ) {
    if (!Number.isInteger(size) || size < 1 || size > 64) {
      throw new Error(`poolSize must be an integer from 1 to 64 (got ${size})`);
    }
    this.connections = Array.from({ length: size }, () => new RedisConnection(target));
  }

  /**
   * Sends the commands as one write on one connection. Redis runs a connection's commands in
   * order, so MULTI ... EXEC sent through here is atomic even with other requests on the socket.
   */
  send(commands: readonly RedisCommand[]): Promise<RespValue[]> {
    if (this.closed) return Promise.reject(new RedisUnavailableError('the bridge is shutting down'));
    return this.pick().send(commands);
  }

  close(): void {
    this.closed = true;
    for (const connection of this.connections) connection.close();
  }

  /** The connection already gathering this iteration's write (one syscall for all), else the least busy. */
  private pick(): RedisConnection {
    for (const connection of this.connections)
      if (connection.gathering && !connection.broken) return connection;
    let best = 0;
    for (let i = 0; i < this.connections.length; i++) {
      if (this.connections[i].broken) this.connections[i] = new RedisConnection(this.target);
      if (this.connections[i].inFlight < this.connections[best].inFlight) best = i;
    }
    return this.connections[best];
  }
}
