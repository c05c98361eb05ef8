/** The few client methods a script needs: a real `@upstash/redis` client, auto-pipelined or not. */
export interface ScriptClient {
  evalsha<TArgs extends unknown[], TData = unknown>(sha: string, keys: string[], args: TArgs): Promise<TData>;
  eval<TArgs extends unknown[], TData = unknown>(script: string, keys: string[], args: TArgs): Promise<TData>;
}

/**
 * A Lua script run by SHA with a fallback to EVAL when the server has not seen it (after a
 * restart or on a fresh database). The SHA is computed once per isolate; `ready()` is awaited
 * before issuing, so issuing itself is synchronous and can join an auto-pipelined batch.
 */
export class LuaScript {
  private shaPromise?: Promise<string>;
  private shaValue?: string;

  constructor(
    readonly name: string,
    readonly source: string,
  ) {}

  async ready(): Promise<string> {
    if (this.shaValue) return this.shaValue;
    this.shaPromise ??= crypto.subtle.digest('SHA-1', new TextEncoder().encode(this.source)).then((d) => {
      this.shaValue = [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, '0')).join('');
      return this.shaValue;
    });
    return this.shaPromise;
  }

  /** Runs the script; call `ready()` first when the EVALSHA must be issued in the current tick. */
  async run<T = unknown>(client: ScriptClient, keys: string[], args: (string | number)[]): Promise<T> {
    const sha = this.shaValue ?? (await this.ready());
    const stringArgs = args.map(String);
    try {
      return await client.evalsha<string[], T>(sha, keys, stringArgs);
    } catch (error) {
      if (!String(error).includes('NOSCRIPT')) throw error;
      return await client.eval<string[], T>(this.source, keys, stringArgs);
    }
  }
}
