import { type EdgeRuntimeOptions, edgeMiniflareOptions } from '@ldm/infra/local/edge-runtime';
import { getFreePort } from '@ldm/infra/local/free-port';
import { Miniflare, type Request as MiniflareRequest, Response as MiniflareResponse } from 'miniflare';

/** Answers a subrequest the edge made; return undefined to let it go out to the real network. */
export type Internet = (request: MiniflareRequest) => Promise<Response | undefined> | Response | undefined;

export interface CountedEdge {
  url: string;
  mf: Miniflare;
  /** Subrequests (every outbound fetch: Upstash REST, Stripe, webhooks, DNS) since the last reset, by host. */
  subrequests(): Record<string, number>;
  total(): number;
  reset(): void;
  stop(): Promise<void>;
}

// The edge's global outbound goes to this Worker, which hands each request to Node through a
// service binding: Node counts it and answers (a stand-in host) or forwards it (loopback servers).
const OUTBOUND_SCRIPT = `export default { fetch: (request, env) => env.NODE.fetch(request) };`;

/**
 * The edge bundle in workerd exactly as edge-runtime.ts runs it, except that every subrequest it
 * makes passes through a counter (Miniflare's outboundService): what Cloudflare counts against an
 * invocation's subrequest budget, minus Durable Object calls, which do not use the outbound.
 */
export async function startCountedEdge(
  options: Omit<EdgeRuntimeOptions, 'port'> & { internet?: Internet },
): Promise<CountedEdge> {
  const port = await getFreePort();
  const {
    host,
    port: _port,
    verbose,
    r2Persist,
    durableObjectsPersist,
    inspectorPort,
    ...edgeWorker
  } = edgeMiniflareOptions({ ...options, port }) as Record<string, unknown>;
  let counts: Record<string, number> = {};
  const mf = new Miniflare({
    host: host as string,
    port,
    verbose: verbose as boolean,
    workers: [
      { ...(edgeWorker as object), outboundService: 'outbound' },
      {
        name: 'outbound',
        modules: true,
        script: OUTBOUND_SCRIPT,
        compatibilityDate: '2026-04-01',
        serviceBindings: {
          NODE: async (request: MiniflareRequest) => {
            const target = new URL(request.url);
            counts[target.host] = (counts[target.host] ?? 0) + 1;
            const answer = await options.internet?.(request);
            if (answer)
              return new MiniflareResponse(await answer.arrayBuffer(), {
                status: answer.status,
                headers: [...answer.headers],
              });
            const body =
              request.method === 'GET' || request.method === 'HEAD' ? undefined : await request.arrayBuffer();
            const res = await fetch(request.url, {
              method: request.method,
              headers: Object.fromEntries(request.headers),
              body,
            });
            return new MiniflareResponse(await res.arrayBuffer(), {
              status: res.status,
              headers: [...res.headers],
            });
          },
        },
      },
    ],
  } as never);
  const ready = await mf.ready;
  return {
    url: ready.origin,
    mf,
    subrequests: () => ({ ...counts }),
    total: () => Object.values(counts).reduce((a, b) => a + b, 0),
    reset: () => {
      counts = {};
    },
    stop: () => mf.dispose(),
  };
}
