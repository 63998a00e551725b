/**
 * TEST DOUBLE — a fake OpenAI-compatible chat-completions server for tests, benchmarks and the
 * demo. Never point production sweeps at it.
 *
 * Real HTTP on 127.0.0.1 (node:http):
 *   POST /v1/chat/completions   non-streaming chat completion
 *   GET  /v1/models             the configured models
 *   GET  /__control/stats       counters (JSON)           POST /__control/faults  {"faults": [...]}
 *   GET  /__control/requests    logged requests (JSON)     POST /__control/reset   zero the counters
 *
 * Answers are deterministic: the text is a function of (model, messages, seed) when the request
 * carries a seed (like a seeded endpoint), else of (model, messages, n) where n counts earlier
 * identical requests. Each text starts with a hidden quality token `[q=0.734]` that the fake
 * reward server (fakeReward.ts) reads:
 *
 *   fresh:           q = quality + noise
 *   refine/aggregate q = carry * max(q of the [q=..] tokens in the messages) + (1 - carry) * quality
 *                        + gain + synergy * (distinct authors of those texts - 1) + noise
 *   noise uniform in [-noise, +noise], q clamped to [0, 1], rounded to 3 decimals. A text's author
 *   is the model name written right after its token (`[q=0.734] sim-strong answer ...`), so
 *   `synergy` (default 0) rewards aggregating answers of different models (MoA's premise).
 *
 * Faults (per model or for all; "the next n", "every k-th", or "probability p", seeded):
 *   rate-limit (429 + Retry-After), server-error (500 or `status`), bad-request (400 or `status`),
 *   hang (never answers until the client gives up or the server closes), reset (socket destroyed),
 *   malformed-json (200 with a truncated JSON body), usage-missing (no "usage"),
 *   usage-strings (usage counts as strings), no-content (message.content null).
 */
import type * as http from 'node:http';
import {
  FaultPlan,
  errorBody,
  hashHex,
  hashUnit,
  latencyOf,
  listen,
  readBody,
  sendJson,
  sendRaw,
  waitUnlessGone,
  controlClient,
  type ControlClient,
  type FaultRule,
  type Latency,
} from './common';

export const OPENAI_FAULT_KINDS = [
  'rate-limit',
  'server-error',
  'bad-request',
  'hang',
  'reset',
  'malformed-json',
  'usage-missing',
  'usage-strings',
  'no-content',
] as const;
export type OpenAIFaultKind = (typeof OPENAI_FAULT_KINDS)[number];
export type OpenAIFaultRule = FaultRule<OpenAIFaultKind>;

export interface FakeModelSpec {
  /** Mean quality in [0, 1] of a fresh answer (default 0.5). */
  quality?: number;
  /** Half-width of the uniform quality noise (default 0.1). */
  noise?: number;
  /** Refine / aggregate: weight of the best input's quality (default 0.7). */
  carry?: number;
  /** Refine / aggregate: quality added (default 0.05). */
  gain?: number;
  /** Aggregate: quality added per distinct author beyond the first among the inputs (default 0). */
  synergy?: number;
  /** Response latency: fixed ms or a [min, max] range (default 0). */
  latencyMs?: Latency;
  /** Words in an answer before max_tokens truncation (default 24). */
  words?: number;
}

export interface FakeChatRequest {
  model: string;
  messages: Array<{ role: string; content: string }>;
  seed?: number;
  temperature?: number;
  top_p?: number;
  max_tokens?: number;
  stop?: string[] | string;
  /** Identical earlier requests (same model, messages, seed). */
  repeat: number;
}

export interface FakeOpenAIOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0 (any free port). */
  port?: number;
  /** Per-model behaviour; models not listed use `defaultModel` (or 404 when `strictModels`). */
  models?: Record<string, FakeModelSpec>;
  defaultModel?: FakeModelSpec;
  strictModels?: boolean;
  /** Seed of the noise and of probabilistic faults (default 0). */
  seed?: number;
  faults?: OpenAIFaultRule[];
  /** When set, requests must carry `Authorization: Bearer <apiKey>` (else 401). */
  apiKey?: string;
  /** Scripted answers (programmatic use only): return a text to override the generated one. */
  script?: (req: FakeChatRequest) => string | undefined;
  /** Requests kept in the log (default 10000). */
  keepRequests?: number;
}

export interface ModelStats {
  requests: number;
  completions: number;
  faults: number;
  promptTokens: number;
  completionTokens: number;
}

export interface FakeOpenAIStats {
  /** Every POST /v1/chat/completions received (faulted ones included): what a provider would bill or count. */
  requests: number;
  /** Requests answered with a completion (HTTP 200 with a usable body). */
  completions: number;
  /** Faults injected, by kind. */
  faults: Partial<Record<OpenAIFaultKind, number>>;
  /** Requests whose client went away before the answer (cancelled, timed out). */
  aborted: number;
  inFlight: number;
  maxInFlight: number;
  byModel: Record<string, ModelStats>;
}

export interface LoggedRequest extends Omit<FakeChatRequest, 'repeat'> {
  /** 0-based arrival order. */
  index: number;
  /** Arrival time (ms since the epoch): rate limits are measured on these. */
  receivedAt: number;
  fault?: OpenAIFaultKind;
  authorization?: string;
}

export interface FakeOpenAI {
  /** Base URL including /v1, e.g. http://127.0.0.1:41234/v1. */
  url: string;
  port: number;
  /** Live counters (the same object is updated). */
  stats: FakeOpenAIStats;
  /** Logged requests in arrival order. */
  requests(): LoggedRequest[];
  /** Replaces the fault rules (their counters restart). */
  setFaults(faults: OpenAIFaultRule[]): void;
  /** Zeroes counters and the request log (faults stay). */
  reset(): void;
  close(): Promise<void>;
}

function emptyStats(): FakeOpenAIStats {
  return { requests: 0, completions: 0, faults: {}, aborted: 0, inFlight: 0, maxInFlight: 0, byModel: {} };
}

const clamp01 = (x: number): number => Math.min(1, Math.max(0, x));

const VOCAB = [
  'answer',
  'because',
  'consider',
  'detail',
  'example',
  'first',
  'given',
  'hence',
  'idea',
  'justify',
  'key',
  'likely',
  'method',
  'note',
  'observe',
  'point',
  'question',
  'result',
  'step',
  'therefore',
  'use',
  'value',
  'when',
  'yields',
];

function countWords(s: string): number {
  const t = s.trim();
  return t === '' ? 0 : t.split(/\s+/).length;
}

/** An earlier answer a request carries: its quality token and its author (the word after it). */
export interface AnswerInput {
  q: number;
  author: string;
}

const INPUT_RE = /\[q=(-?[0-9]*\.?[0-9]+)\]\s*(\S*)/g;

/** The earlier answers quoted in a message (their `[q=…] author` heads). */
export function answerInputs(text: string): AnswerInput[] {
  return [...text.matchAll(INPUT_RE)].map((m) => ({ q: Number(m[1]), author: m[2] ?? '' }));
}

/**
 * The quality of an answer before rounding (the rule in this file's header), `u` uniform in
 * [0, 1): exported so that benchmarks can simulate the same landscape without HTTP.
 */
export function answerQuality(spec: FakeModelSpec, inputs: readonly AnswerInput[], u: number): number {
  const quality = spec.quality ?? 0.5;
  const noise = spec.noise ?? 0.1;
  let q = quality;
  if (inputs.length > 0) {
    const carry = spec.carry ?? 0.7;
    const authors = new Set(inputs.map((i) => i.author)).size;
    q =
      carry * Math.max(...inputs.map((i) => i.q)) +
      (1 - carry) * quality +
      (spec.gain ?? 0.05) +
      (spec.synergy ?? 0) * (authors - 1);
  }
  return clamp01(q + noise * (2 * u - 1));
}

/** The deterministic answer of the fake model (exported so tests can predict it). */
export function fakeAnswer(
  req: Omit<FakeChatRequest, 'repeat'> & { repeat?: number },
  spec: FakeModelSpec = {},
  seed = 0,
): { text: string; quality: number; finishReason: 'stop' | 'length'; promptTokens: number; completionTokens: number } {
  const variant = req.seed !== undefined ? `seed:${req.seed}` : `n:${req.repeat ?? 0}`;
  const key = [req.model, JSON.stringify(req.messages), variant, seed] as const;
  const u = hashUnit('noise', ...key);
  const inputs = req.messages.flatMap((m) => answerInputs(m.content));
  const q0 = answerQuality(spec, inputs, u);
  const q = Math.round(q0 * 1000) / 1000;
  const id = hashHex('text', ...key).slice(0, 8);
  const nWords = Math.max(1, spec.words ?? 24);
  const words = [`[q=${q.toFixed(3)}]`, `${req.model}`, `answer`, `${id}:`];
  for (let i = words.length; i < nWords; i++) words.push(VOCAB[Math.floor(hashUnit('w', i, ...key) * VOCAB.length)]!);
  let finishReason: 'stop' | 'length' = 'stop';
  let out = words;
  if (req.max_tokens !== undefined && req.max_tokens < words.length) {
    out = words.slice(0, Math.max(1, req.max_tokens));
    finishReason = 'length';
  }
  const text = out.join(' ');
  const promptTokens = req.messages.reduce((n, m) => n + countWords(m.content) + 3, 0);
  return { text, quality: q, finishReason, promptTokens, completionTokens: out.length };
}

export async function startFakeOpenAI(opts: FakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const seed = opts.seed ?? 0;
  const plan = new FaultPlan<OpenAIFaultKind>(opts.faults ?? [], seed, OPENAI_FAULT_KINDS);
  const keep = opts.keepRequests ?? 10_000;
  const stats = emptyStats();
  let log: LoggedRequest[] = [];
  let arrivals = 0;
  const repeats = new Map<string, number>();

  const specOf = (model: string): FakeModelSpec | undefined =>
    opts.models?.[model] ?? (opts.strictModels ? undefined : (opts.defaultModel ?? {}));
  const modelStats = (model: string): ModelStats =>
    (stats.byModel[model] ??= { requests: 0, completions: 0, faults: 0, promptTokens: 0, completionTokens: 0 });

  async function control(req: http.IncomingMessage, res: http.ServerResponse, path: string): Promise<void> {
    if (req.method === 'GET' && path === '/__control/stats') return sendJson(res, 200, { ...stats, faultRules: plan.list() });
    if (req.method === 'GET' && path === '/__control/requests') return sendJson(res, 200, log);
    if (req.method === 'POST' && path === '/__control/faults') {
      try {
        const body = JSON.parse((await readBody(req)) || '{}') as { faults?: OpenAIFaultRule[] };
        plan.set(body.faults ?? []);
        return sendJson(res, 200, { faults: plan.list() });
      } catch (err) {
        return sendJson(res, 400, errorBody((err as Error).message, 'invalid_request_error'));
      }
    }
    if (req.method === 'POST' && path === '/__control/reset') {
      resetStats();
      return sendJson(res, 200, { ok: true });
    }
    return sendJson(res, 404, errorBody(`no control endpoint ${req.method} ${path}`, 'not_found'));
  }

  function resetStats(): void {
    const inFlight = stats.inFlight;
    Object.assign(stats, emptyStats(), { inFlight });
    log = [];
    arrivals = 0;
  }

  async function chat(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(await readBody(req)) as Record<string, unknown>;
    } catch {
      return sendJson(res, 400, errorBody('request body is not valid JSON', 'invalid_request_error'));
    }
    if (opts.apiKey !== undefined && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
      return sendJson(res, 401, errorBody('Incorrect API key provided', 'invalid_request_error', 'invalid_api_key'));
    }
    const model = body.model;
    const messages = body.messages;
    if (
      typeof model !== 'string' ||
      !Array.isArray(messages) ||
      messages.some((m) => typeof m?.content !== 'string' || typeof m?.role !== 'string')
    ) {
      return sendJson(
        res,
        400,
        errorBody('"model" (string) and "messages" (array of {role, content: string}) are required', 'invalid_request_error'),
      );
    }
    if (body.stream) return sendJson(res, 400, errorBody('the fake server does not stream', 'invalid_request_error'));
    const spec = specOf(model);
    if (!spec)
      return sendJson(res, 404, errorBody(`The model \`${model}\` does not exist.`, 'invalid_request_error', 'model_not_found'));

    const creq: FakeChatRequest = {
      model,
      messages: messages as FakeChatRequest['messages'],
      seed: typeof body.seed === 'number' ? body.seed : undefined,
      temperature: body.temperature as number | undefined,
      top_p: body.top_p as number | undefined,
      max_tokens: body.max_tokens as number | undefined,
      stop: body.stop as string[] | undefined,
      repeat: 0,
    };
    const rkey = hashHex(model, JSON.stringify(creq.messages), creq.seed);
    creq.repeat = repeats.get(rkey) ?? 0;
    repeats.set(rkey, creq.repeat + 1);

    stats.requests++;
    const ms = modelStats(model);
    ms.requests++;
    const index = arrivals++;
    const fault = plan.pick(model);
    const { repeat: _r, ...logged } = creq;
    void _r;
    if (log.length < keep) log.push({ ...logged, index, receivedAt: Date.now(), fault: fault?.kind, authorization: req.headers.authorization });

    stats.inFlight++;
    stats.maxInFlight = Math.max(stats.maxInFlight, stats.inFlight);
    let done = false;
    res.once('close', () => {
      stats.inFlight--;
      if (!done) stats.aborted++;
    });
    const finish = (): void => {
      done = true;
    };

    if (fault) {
      stats.faults[fault.kind] = (stats.faults[fault.kind] ?? 0) + 1;
      ms.faults++;
      switch (fault.kind) {
        case 'rate-limit': {
          finish();
          const ra = fault.retryAfterSeconds === undefined ? 1 : fault.retryAfterSeconds;
          return sendJson(
            res,
            429,
            errorBody('Rate limit reached (fake)', 'rate_limit_error', 'rate_limit_exceeded'),
            ra === null ? {} : { 'retry-after': String(ra) },
          );
        }
        case 'server-error':
          finish();
          return sendJson(res, fault.status ?? 500, errorBody('The server had an error (fake)', 'server_error'));
        case 'bad-request':
          finish();
          return sendJson(res, fault.status ?? 400, errorBody('Invalid request (fake fault)', 'invalid_request_error'));
        case 'hang':
          return; // answered never; closed when the client gives up or the server closes
        case 'reset':
          finish();
          req.socket.destroy();
          return;
        default:
          break; // body faults: answered below with a damaged body
      }
    }

    const u = hashUnit('latency', index, seed);
    if (!(await waitUnlessGone(req, res, latencyOf(spec.latencyMs, u)))) return;

    const ans = fakeAnswer(creq, spec, seed);
    const scripted = opts.script?.(creq);
    const text = scripted ?? ans.text;
    const completionTokens = scripted !== undefined ? Math.max(1, countWords(scripted)) : ans.completionTokens;
    const completion = {
      id: `chatcmpl-fake-${hashHex(index, text).slice(0, 12)}`,
      object: 'chat.completion',
      created: 1700000000,
      model,
      system_fingerprint: 'fake',
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: fault?.kind === 'no-content' ? null : text },
          finish_reason: scripted !== undefined ? 'stop' : ans.finishReason,
          logprobs: null,
        },
      ],
      usage:
        fault?.kind === 'usage-strings'
          ? {
              prompt_tokens: String(ans.promptTokens),
              completion_tokens: String(completionTokens),
              total_tokens: String(ans.promptTokens + completionTokens),
            }
          : {
              prompt_tokens: ans.promptTokens,
              completion_tokens: completionTokens,
              total_tokens: ans.promptTokens + completionTokens,
            },
    } as Record<string, unknown>;
    if (fault?.kind === 'usage-missing') delete completion.usage;
    finish();
    if (fault?.kind === 'malformed-json') {
      const full = JSON.stringify(completion);
      return sendRaw(res, 200, full.slice(0, Math.floor(full.length / 2)));
    }
    if (!fault) {
      stats.completions++;
      ms.completions++;
      ms.promptTokens += ans.promptTokens;
      ms.completionTokens += completionTokens;
    }
    return sendJson(res, 200, completion);
  }

  const running = await listen(
    (req, res) => {
      const path = (req.url ?? '/').split('?')[0]!;
      const handle = async (): Promise<void> => {
        if (path.startsWith('/__control/')) return control(req, res, path);
        if (req.method === 'POST' && path === '/v1/chat/completions') return chat(req, res);
        if (req.method === 'GET' && path === '/v1/models') {
          const ids = Object.keys(opts.models ?? {});
          return sendJson(res, 200, {
            object: 'list',
            data: ids.map((id) => ({ id, object: 'model', created: 0, owned_by: 'fake' })),
          });
        }
        return sendJson(res, 404, errorBody(`no route ${req.method} ${path}`, 'not_found'));
      };
      handle().catch((err: unknown) =>
        sendJson(res, 500, errorBody(`fake server bug: ${(err as Error).message}`, 'server_error')),
      );
    },
    opts.host,
    opts.port,
  );

  return {
    url: `${running.origin}/v1`,
    port: running.port,
    stats,
    requests: () => log.slice(),
    setFaults: (faults) => plan.set(faults),
    reset: resetStats,
    close: running.close,
  };
}

/** For a test in another process: the control endpoints of a fake server at `url` (base URL with /v1 or the origin). */
export function fakeControl(url: string): ControlClient<FakeOpenAIStats, LoggedRequest, OpenAIFaultRule> {
  return controlClient(url);
}
