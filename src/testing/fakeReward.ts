/**
 * TEST DOUBLE — a fake reward server following the `http` reward contract, for tests,
 * benchmarks and the demo. Never use it as a real reward model.
 *
 *   POST <url> (any path outside /__control)  {"prompt","response","model"?,"promptId"?,"reference"?}
 *        → {"reward": number}
 *   GET /__control/stats, GET /__control/requests, POST /__control/faults {"faults": [...]},
 *   POST /__control/reset
 *
 * Reward (deterministic, a function of the response text and the seed only):
 *   q      = the first `[q=…]` token in the response (written by fakeOpenAI), else
 *            `untagged` × a hash of the text in [0, 1)
 *   reward = offset + scale × q + noise × u,  u uniform in [-1, 1) from hash(seed, response)
 *
 * Faults as in fakeOpenAI (next n / every k-th / probability p, per model = the request's
 * "model"): rate-limit, server-error, bad-request, hang, reset, malformed-json,
 * missing-reward ({}), non-numeric-reward ({"reward": "high"}), null-reward ({"reward": null}).
 */
import type * as http from 'node:http';
import {
  FaultPlan,
  controlClient,
  errorBody,
  hashUnit,
  latencyOf,
  listen,
  qualityTokens,
  readBody,
  sendJson,
  sendRaw,
  waitUnlessGone,
  type ControlClient,
  type FaultRule,
  type Latency,
} from './common';

export const REWARD_FAULT_KINDS = [
  'rate-limit',
  'server-error',
  'bad-request',
  'hang',
  'reset',
  'malformed-json',
  'missing-reward',
  'non-numeric-reward',
  'null-reward',
] as const;
export type RewardFaultKind = (typeof REWARD_FAULT_KINDS)[number];
export type RewardFaultRule = FaultRule<RewardFaultKind>;

export interface FakeRewardOptions {
  host?: string;
  port?: number;
  /** Path of the scoring endpoint in `url` (default /reward; every non-control POST path scores). */
  path?: string;
  /** reward = offset + scale × q + noise × u (defaults 0, 1, 0). */
  offset?: number;
  scale?: number;
  noise?: number;
  /** Quality of a response without a [q=…] token: untagged × hash (default 0.1). */
  untagged?: number;
  seed?: number;
  latencyMs?: Latency;
  faults?: RewardFaultRule[];
  /** When set, requests must carry `Authorization: Bearer <apiKey>` (else 401). */
  apiKey?: string;
  keepRequests?: number;
}

export interface FakeRewardStats {
  /** Every scoring POST received (faulted ones included). */
  requests: number;
  /** Requests answered with a reward. */
  scored: number;
  faults: Partial<Record<RewardFaultKind, number>>;
  aborted: number;
  inFlight: number;
  maxInFlight: number;
  byModel: Record<string, { requests: number; scored: number; faults: number }>;
}

export interface LoggedRewardRequest {
  index: number;
  path: string;
  body: Record<string, unknown>;
  fault?: RewardFaultKind;
  authorization?: string;
}

export interface FakeReward {
  /** The scoring URL (origin + path), e.g. http://127.0.0.1:41235/reward. */
  url: string;
  port: number;
  stats: FakeRewardStats;
  requests(): LoggedRewardRequest[];
  setFaults(faults: RewardFaultRule[]): void;
  reset(): void;
  close(): Promise<void>;
}

/** The reward the fake server gives `response` (exported so tests can predict it). */
export function fakeRewardOf(
  response: string,
  opts: Pick<FakeRewardOptions, 'offset' | 'scale' | 'noise' | 'untagged' | 'seed'> = {},
): number {
  const tokens = qualityTokens(response);
  const q = tokens.length > 0 ? tokens[0]! : (opts.untagged ?? 0.1) * hashUnit('untagged', response);
  const u = 2 * hashUnit('reward-noise', opts.seed ?? 0, response) - 1;
  return (opts.offset ?? 0) + (opts.scale ?? 1) * q + (opts.noise ?? 0) * u;
}

function emptyStats(): FakeRewardStats {
  return { requests: 0, scored: 0, faults: {}, aborted: 0, inFlight: 0, maxInFlight: 0, byModel: {} };
}

export async function startFakeReward(opts: FakeRewardOptions = {}): Promise<FakeReward> {
  const seed = opts.seed ?? 0;
  const plan = new FaultPlan<RewardFaultKind>(opts.faults ?? [], seed, REWARD_FAULT_KINDS);
  const keep = opts.keepRequests ?? 10_000;
  const stats = emptyStats();
  let log: LoggedRewardRequest[] = [];
  let arrivals = 0;

  function resetStats(): void {
    const inFlight = stats.inFlight;
    Object.assign(stats, emptyStats(), { inFlight });
    log = [];
    arrivals = 0;
  }

  async function control(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> {
    if (req.method === 'GET' && path === '/__control/stats') return sendJson(res, 200, { ...stats, faultRules: plan.list() });
    if (req.method === 'GET' && path === '/__control/requests') return sendJson(res, 200, log);
    if (req.method === 'POST' && path === '/__control/faults') {
      try {
        const body = JSON.parse((await readBody(req)) || '{}') as { faults?: RewardFaultRule[] };
        plan.set(body.faults ?? []);
        return sendJson(res, 200, { faults: plan.list() });
      } catch (err) {
        return sendJson(res, 400, { error: (err as Error).message });
      }
    }
    if (req.method === 'POST' && path === '/__control/reset') {
      resetStats();
      return sendJson(res, 200, { ok: true });
    }
    return sendJson(res, 404, { error: `no control endpoint ${req.method} ${path}` });
  }

  async function score(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> {
    let body: Record<string, unknown>;
    try {
      const parsed: unknown = JSON.parse(await readBody(req));
      if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not an object');
      body = parsed as Record<string, unknown>;
    } catch {
      return sendJson(res, 400, { error: 'request body must be a JSON object' });
    }
    if (opts.apiKey !== undefined && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
      return sendJson(res, 401, { error: 'invalid API key' });
    }
    if (typeof body.prompt !== 'string' || typeof body.response !== 'string') {
      return sendJson(res, 400, { error: '"prompt" and "response" (strings) are required' });
    }
    const model = typeof body.model === 'string' ? body.model : undefined;
    stats.requests++;
    const ms = model !== undefined ? (stats.byModel[model] ??= { requests: 0, scored: 0, faults: 0 }) : undefined;
    if (ms) ms.requests++;
    const index = arrivals++;
    const fault = plan.pick(model);
    if (log.length < keep) log.push({ index, path, body, fault: fault?.kind, authorization: req.headers.authorization });

    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    let done = false;
    res.once('close', () => {
      stats.inFlight--;
      if (!done) stats.aborted++;
    });

    if (fault) {
      stats.faults[fault.kind] = (stats.faults[fault.kind] ?? 0) + 1;
      if (ms) ms.faults++;
      if (fault.kind === 'hang') return;
      done = true;
      switch (fault.kind) {
        case 'rate-limit': {
          const ra = fault.retryAfterSeconds === undefined ? 1 : fault.retryAfterSeconds;
          return sendJson(
            res,
            429,
            errorBody('rate limited (fake)', 'rate_limit_error'),
            ra === null ? {} : { 'retry-after': String(ra) },
          );
        }
        case 'server-error':
          return sendJson(res, fault.status ?? 500, { error: 'reward model crashed (fake)' });
        case 'bad-request':
          return sendJson(res, fault.status ?? 400, { error: 'bad request (fake fault)' });
        case 'reset':
          req.socket.destroy();
          return;
        case 'malformed-json':
          return sendRaw(res, 200, '{"reward": 0.');
        case 'missing-reward':
          return sendJson(res, 200, {});
        case 'non-numeric-reward':
          return sendJson(res, 200, { reward: 'high' });
        case 'null-reward':
          return sendJson(res, 200, { reward: null });
      }
    }

    if (!(await waitUnlessGone(req, res, latencyOf(opts.latencyMs, hashUnit('latency', index, seed))))) return;
    const reward = fakeRewardOf(body.response, opts);
    done = true;
    stats.scored++;
    if (ms) ms.scored++;
    return sendJson(res, 200, { reward });
  }

  const running = await listen(
    (req, res) => {
      const path = (req.url ?? '/').split('?')[0]!;
      const handle = async (): Promise<void> => {
        if (path.startsWith('/__control/')) return control(req, res, path);
        if (req.method === 'POST') return score(req, res, path);
        return sendJson(res, 404, { error: `no route ${req.method} ${path}` });
      };
      handle().catch((err: unknown) => sendJson(res, 500, { error: `fake reward bug: ${(err as Error).message}` }));
    },
    opts.host,
    opts.port,
  );

  return {
    url: `${running.origin}${opts.path ?? '/reward'}`,
    port: running.port,
    stats,
    requests: () => log.slice(),
    setFaults: (faults) => plan.set(faults),
    reset: resetStats,
    close: running.close,
  };
}

/** For a test in another process: the control endpoints of a fake reward server. */
export function fakeRewardControl(url: string): ControlClient<FakeRewardStats, LoggedRewardRequest, RewardFaultRule> {
  return controlClient(url);
}
