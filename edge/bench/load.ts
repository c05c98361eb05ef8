import { Agent, request } from 'node:http';

export interface LoadResult {
  requests: number;
  perSecond: number;
  p50: number;
  p99: number;
  errors: number;
  statuses: Record<number, number>;
}

export interface HttpCall {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
}

/** One HTTP call on a keep-alive agent; resolves with the status and the body text. */
export function call(agent: Agent, base: URL, c: HttpCall): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: base.hostname,
        port: base.port,
        path: c.path,
        method: c.method,
        headers:
          c.body === undefined ? c.headers : { ...c.headers, 'content-length': Buffer.byteLength(c.body) },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (d: Buffer) => chunks.push(d));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }),
        );
      },
    );
    req.on('error', reject);
    req.end(c.body);
  });
}

const percentile = (sorted: number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;

/**
 * Closed loop: `concurrency` clients, each sending its next request when the last one answered,
 * for `seconds` after a warm-up; latency in ms per request.
 */
export async function closedLoop(
  base: URL,
  c: HttpCall,
  concurrency: number,
  seconds: number,
  warmupMs = 1_000,
) {
  const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
  const latencies: number[] = [];
  const statuses: Record<number, number> = {};
  let errors = 0;
  const warmupEnd = Date.now() + warmupMs;
  const end = warmupEnd + seconds * 1000;
  let measuredStart = 0;
  const client = async () => {
    while (Date.now() < end) {
      const started = performance.now();
      try {
        const { status } = await call(agent, base, c);
        if (Date.now() >= warmupEnd) {
          if (!measuredStart) measuredStart = Date.now();
          latencies.push(performance.now() - started);
          statuses[status] = (statuses[status] ?? 0) + 1;
          if (status >= 400) errors++;
        }
      } catch {
        errors++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  const elapsed = (Date.now() - (measuredStart || warmupEnd)) / 1000;
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const result: LoadResult = {
    requests: latencies.length,
    perSecond: latencies.length / elapsed,
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
    errors,
    statuses,
  };
  return result;
}
