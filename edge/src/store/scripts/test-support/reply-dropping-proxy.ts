/// <reference types="node" />
import { createServer, request } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * An HTTP proxy in front of the Upstash bridge that lets a request reach Redis and then loses its
 * reply: it waits for the bridge's whole answer and destroys the client's connection instead of
 * passing it on. That is what makes @upstash/redis resend a request Redis already ran (its fetch
 * threw), the failure request tokens guard against (edge/src/lua/request-token.lua).
 */
export interface ReplyDroppingProxy {
  url: string;
  /** Lose the reply of the next `count` requests whose body matches (default: any script call). */
  dropNext(count: number, matches?: (body: string) => boolean): void;
  /** Replies lost so far. */
  dropped(): number;
  close(): Promise<void>;
}

const isScriptCall = (body: string) => /^\["(evalsha|eval)"/i.test(body);

export async function startReplyDroppingProxy(targetUrl: string): Promise<ReplyDroppingProxy> {
  const target = new URL(targetUrl);
  let toDrop = 0;
  let matcher = isScriptCall;
  let dropped = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const upstream = request(
        {
          host: target.hostname,
          port: target.port,
          path: req.url,
          method: req.method,
          headers: { ...req.headers, host: target.host },
        },
        (reply) => {
          const replyChunks: Buffer[] = [];
          reply.on('data', (chunk: Buffer) => replyChunks.push(chunk));
          reply.on('end', () => {
            const text = Buffer.concat(replyChunks);
            // Only a reply that says the script ran is lost (a NOSCRIPT is passed on as it is).
            if (toDrop > 0 && matcher(body.toString('utf8')) && !text.toString('utf8').includes('NOSCRIPT')) {
              toDrop--;
              dropped++;
              req.socket.destroy();
              return;
            }
            res.writeHead(reply.statusCode ?? 502, reply.headers);
            res.end(text);
          });
        },
      );
      upstream.on('error', () => req.socket.destroy());
      upstream.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    dropNext(count, matches = isScriptCall) {
      toDrop = count;
      matcher = matches;
    },
    dropped: () => dropped,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
