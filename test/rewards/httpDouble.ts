/**
 * A small REAL HTTP server on 127.0.0.1 (node:http, random port) used as a TEST DOUBLE for an
 * OpenAI-compatible judge or a vLLM server: each test scripts the replies; every request is
 * recorded (method, path, headers, parsed JSON body).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'http';
import type { AddressInfo } from 'net';

export interface Recorded {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: unknown;
}
export type Reply = {
  status?: number;
  headers?: Record<string, string>;
  /** object -> JSON; string -> sent as is */
  body?: unknown;
  /** delay before answering (ms) */
  delayMs?: number;
};
export type Handler = (req: Recorded, index: number) => Reply;

export interface HttpDouble {
  url: string;
  requests: Recorded[];
  /** replies in order; the last one repeats */
  script(...replies: Array<Reply | Handler>): void;
  close(): Promise<void>;
}

export async function startHttpDouble(): Promise<HttpDouble> {
  const requests: Recorded[] = [];
  let replies: Array<Reply | Handler> = [{ status: 500, body: 'not scripted' }];
  const sockets = new Set<import('net').Socket>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: unknown = raw;
      try {
        body = JSON.parse(raw);
      } catch {
        /* keep raw */
      }
      const rec: Recorded = { method: req.method ?? '', path: req.url ?? '', headers: req.headers, body };
      const index = requests.push(rec) - 1;
      const r = replies[Math.min(index, replies.length - 1)];
      const reply = typeof r === 'function' ? r(rec, index) : r;
      const send = () => {
        if (res.destroyed) return;
        const isText = typeof reply.body === 'string';
        res.writeHead(reply.status ?? 200, {
          'content-type': isText ? 'text/plain' : 'application/json',
          ...reply.headers,
        });
        res.end(isText ? (reply.body as string) : JSON.stringify(reply.body ?? {}));
      };
      if (reply.delayMs) setTimeout(send, reply.delayMs);
      else send();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    script: (...r) => {
      replies = r;
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (bind, read the port, close). */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}
