/**
 * TEST DOUBLE support shared by fakeOpenAI.ts and fakeReward.ts: seeded hashing, fault rules,
 * a tiny HTTP server scaffold. Not used by production code.
 */
import { createHash } from 'node:crypto';
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';

/** Uniform in [0, 1), a pure function of its parts. */
export function hashUnit(...parts: Array<string | number | undefined>): number {
  const h = createHash('sha256')
    .update(parts.map((p) => (p === undefined ? '\u0001' : String(p))).join('\u0000'))
    .digest();
  return h.readUInt32BE(0) / 2 ** 32;
}

export function hashHex(...parts: Array<string | number | undefined>): string {
  return createHash('sha256')
    .update(parts.map((p) => (p === undefined ? '\u0001' : String(p))).join('\u0000'))
    .digest('hex');
}

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function seededRng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * When a fault fires. Give at most one of `next`, `every`, `probability`; none = every matching
 * request. Rules are checked in order; the first that fires wins. Counters are per rule and
 * count only requests matching its `model` filter.
 */
export interface FaultRule<K extends string = string> {
  kind: K;
  /** Only requests for this model (the request's `model` field); default: all. */
  model?: string;
  /** The next n matching requests. */
  next?: number;
  /** Every k-th matching request (the k-th, 2k-th, ...). */
  every?: number;
  /** Each matching request with this probability (seeded, reproducible). */
  probability?: number;
  /** rate-limit: Retry-After header in seconds (default 1; null = no header). */
  retryAfterSeconds?: number | null;
  /** server-error (default 500) / bad-request (default 400): the status to answer. */
  status?: number;
}

export class FaultPlan<K extends string> {
  private rules: Array<{ rule: FaultRule<K>; matched: number; fired: number; rng: () => number }> = [];

  constructor(
    rules: Array<FaultRule<K>> = [],
    private readonly seed = 0,
    private readonly kinds?: readonly K[],
  ) {
    this.set(rules);
  }

  set(rules: Array<FaultRule<K>>): void {
    for (const r of rules) {
      if (this.kinds && !this.kinds.includes(r.kind)) {
        throw new Error(`unknown fault kind ${JSON.stringify(r.kind)} (known: ${this.kinds.join(', ')})`);
      }
      const modes = [r.next, r.every, r.probability].filter((v) => v !== undefined).length;
      if (modes > 1) throw new Error(`fault rule ${JSON.stringify(r)}: give at most one of next, every, probability`);
    }
    this.rules = rules.map((rule, i) => ({
      rule,
      matched: 0,
      fired: 0,
      rng: seededRng(Math.floor(hashUnit(this.seed, i, rule.kind) * 2 ** 32)),
    }));
  }

  list(): Array<FaultRule<K> & { matched: number; fired: number }> {
    return this.rules.map((r) => ({ ...r.rule, matched: r.matched, fired: r.fired }));
  }

  /** The fault for this request, if any (advances the counters). */
  pick(model: string | undefined): FaultRule<K> | undefined {
    let chosen: FaultRule<K> | undefined;
    for (const r of this.rules) {
      if (r.rule.model !== undefined && r.rule.model !== model) continue;
      r.matched++;
      if (chosen) continue;
      const { next, every, probability } = r.rule;
      let fire: boolean;
      if (next !== undefined) fire = r.fired < next;
      else if (every !== undefined) fire = every > 0 && r.matched % every === 0;
      else if (probability !== undefined) fire = r.rng() < probability;
      else fire = true;
      if (fire) {
        r.fired++;
        chosen = r.rule;
      }
    }
    return chosen;
  }
}

export interface RunningServer {
  server: http.Server;
  port: number;
  origin: string;
  close(): Promise<void>;
}

export async function listen(handler: http.RequestListener, host = '127.0.0.1', port = 0): Promise<RunningServer> {
  const server = http.createServer(handler);
  // Like real endpoints (uvicorn, which serves vLLM, keeps idle connections 5 s): undici subtracts
  // 1 s from the server's Keep-Alive hint, so a 1 s timeout made every request open a new
  // connection, a cost no real endpoint charges.
  server.keepAliveTimeout = 5000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  let closing: Promise<void> | undefined;
  return {
    server,
    port: addr.port,
    origin: `http://${host}:${addr.port}`,
    close: () =>
      (closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections(); // hung requests included
      })),
  };
}

export async function readBody(req: http.IncomingMessage, limit = 64 * 1024 * 1024): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new Error('request body too large');
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function sendJson(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  if (res.writableEnded || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

export function sendRaw(res: http.ServerResponse, status: number, text: string, contentType = 'application/json'): void {
  if (res.writableEnded || res.destroyed) return;
  res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** Waits `ms`, or resolves false early if the client goes away (then nothing should be sent). */
export function waitUnlessGone(req: http.IncomingMessage, res: http.ServerResponse, ms: number): Promise<boolean> {
  if (ms <= 0) return Promise.resolve(!res.destroyed);
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      res.off('close', onClose);
      resolve(!res.destroyed);
    }, ms);
    const onClose = (): void => {
      clearTimeout(timer);
      resolve(false);
    };
    res.once('close', onClose);
  });
}

/** A latency setting: fixed ms, or a [min, max] range drawn from `u` in [0, 1). */
export type Latency = number | [number, number];

export function latencyOf(l: Latency | undefined, u: number): number {
  if (l === undefined) return 0;
  if (typeof l === 'number') return l;
  return l[0] + (l[1] - l[0]) * u;
}

/** The `[q=0.734]` quality token the fake model embeds and the fake reward reads. */
export const QUALITY_RE = /\[q=(-?[0-9]*\.?[0-9]+)\]/g;

export function qualityTokens(text: string): number[] {
  return [...text.matchAll(QUALITY_RE)].map((m) => Number(m[1]));
}

export function errorBody(
  message: string,
  type: string,
  code?: string,
): { error: { message: string; type: string; code: string | null } } {
  return { error: { message, type, code: code ?? null } };
}

export interface ControlClient<Stats, Logged, Rule> {
  stats(): Promise<Stats>;
  requests(): Promise<Logged[]>;
  setFaults(faults: Rule[]): Promise<void>;
  reset(): Promise<void>;
}

/** Client of the /__control endpoints of a fake server (for tests in another process). */
export function controlClient<Stats, Logged, Rule>(url: string): ControlClient<Stats, Logged, Rule> {
  const origin = new URL(url).origin;
  const call = async (method: string, path: string, body?: unknown): Promise<unknown> => {
    const res = await fetch(`${origin}${path}`, {
      method,
      headers: body === undefined ? undefined : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${origin}${path}: HTTP ${res.status}: ${text}`);
    return JSON.parse(text) as unknown;
  };
  return {
    stats: async () => (await call('GET', '/__control/stats')) as Stats,
    requests: async () => (await call('GET', '/__control/requests')) as Logged[],
    setFaults: async (faults) => void (await call('POST', '/__control/faults', { faults })),
    reset: async () => void (await call('POST', '/__control/reset', {})),
  };
}

/** A loopback TCP port that was free a moment ago (tests must not collide with a developer's 7233). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}
