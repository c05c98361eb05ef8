import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { connect } from 'node:net';

/**
 * Counts what the edge asks of Redis: an HTTP proxy in front of the Upstash REST bridge that
 * tallies REST requests and the commands in them (an EVALSHA counts as one, as Upstash bills it),
 * plus Redis's own INFO commandstats for the commands it ran (scripts' inner calls included).
 */
export interface RedisTally {
  restRequests: number;
  commands: number;
  byCommand: Record<string, number>;
}

export interface RedisMeter {
  url: string;
  /** Where to forward; set once the bridge is up. */
  target: string;
  tally(): RedisTally;
  close(): Promise<void>;
}

export async function startRedisMeter(): Promise<RedisMeter> {
  const tally: RedisTally = { restRequests: 0, commands: 0, byCommand: {} };
  const meter = { target: '' };
  const count = (command: unknown) => {
    if (!Array.isArray(command) || typeof command[0] !== 'string') return;
    const name = command[0].toLowerCase();
    tally.commands += 1;
    tally.byCommand[name] = (tally.byCommand[name] ?? 0) + 1;
  };
  const server: Server = createServer(async (req, res) => {
    const body = await readBody(req);
    tally.restRequests += 1;
    try {
      const parsed = JSON.parse(body.toString('utf8')) as unknown;
      if (req.url?.startsWith('/pipeline') || req.url?.startsWith('/multi-exec')) {
        for (const command of parsed as unknown[]) count(command);
      } else count(parsed);
    } catch {
      // Not JSON (health checks): forwarded uncounted.
    }
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(req.headers)) {
      if (typeof value === 'string' && name !== 'host' && name !== 'content-length') headers[name] = value;
    }
    const upstream = await fetch(`${meter.target}${req.url ?? '/'}`, {
      method: req.method,
      headers,
      body: req.method === 'GET' || req.method === 'HEAD' ? undefined : new Uint8Array(body),
    });
    const reply = Buffer.from(await upstream.arrayBuffer());
    res.writeHead(upstream.status, {
      'content-type': upstream.headers.get('content-type') ?? 'application/json',
    });
    res.end(reply);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get target() {
      return meter.target;
    },
    set target(value: string) {
      meter.target = value;
    },
    tally: () => ({ ...tally, byCommand: { ...tally.byCommand } }),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

/** Calls per command Redis has executed so far (INFO commandstats), over a raw connection. */
export function redisCommandStats(port: number): Promise<Record<string, number>> {
  return new Promise((resolve, reject) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let text = '';
    socket.once('error', reject);
    socket.once('connect', () => socket.write('INFO commandstats\r\n'));
    socket.on('data', (chunk) => {
      text += chunk.toString('utf8');
      const header = /^\$(\d+)\r\n/.exec(text);
      if (header && Buffer.byteLength(text) >= header[0].length + Number(header[1])) {
        socket.destroy();
        const stats: Record<string, number> = {};
        for (const match of text.matchAll(/^cmdstat_([^:]+):calls=(\d+)/gm))
          stats[match[1]] = Number(match[2]);
        resolve(stats);
      }
    });
  });
}

/** Commands Redis ran between two commandstats readings, without the INFO calls themselves. */
export function executedBetween(before: Record<string, number>, after: Record<string, number>): number {
  let total = 0;
  for (const [name, calls] of Object.entries(after))
    if (name !== 'info') total += calls - (before[name] ?? 0);
  return total;
}
