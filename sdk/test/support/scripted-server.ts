import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: string;
  /** performance.now() when the request arrived. */
  at: number;
}

export type ScriptedHandler = (
  req: RecordedRequest,
  res: ServerResponse,
  index: number,
) => void | Promise<void>;

export interface ScriptedServer {
  baseUrl: string;
  requests: RecordedRequest[];
  /** Replaces the handler; requests keep being recorded. */
  handle(handler: ScriptedHandler): void;
  close(): Promise<void>;
}

/**
 * A real HTTP server on 127.0.0.1 whose answers a test scripts request by request: the client
 * under test goes through its whole network path (sockets, fetch, streaming bodies).
 */
export async function startScriptedServer(handler: ScriptedHandler): Promise<ScriptedServer> {
  let current = handler;
  const requests: RecordedRequest[] = [];
  const server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const recorded: RecordedRequest = {
      method: req.method ?? 'GET',
      path: req.url ?? '/',
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
      at: performance.now(),
    };
    requests.push(recorded);
    try {
      await current(recorded, res, requests.length - 1);
    } catch (error) {
      if (!res.headersSent) res.writeHead(500);
      res.end(String(error));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    requests,
    handle(next) {
      current = next;
    },
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

export function errorBody(code: string, message: string, details?: unknown[]) {
  return { error: { code, message, request_id: 'req_test', ...(details ? { details } : {}) } };
}
