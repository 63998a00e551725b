/**
 * A local OpenAI-compatible chat-completions endpoint backed by node-llama-cpp (CPU only).
 *
 *   const server = await startModelServer({ ggufPath, threads: 2, parallel: 2 });
 *   new OpenAI({ baseURL: server.url, apiKey: 'x' })   // server.url ends in /v1
 *
 * Endpoints: POST /v1/chat/completions, GET /v1/models, GET /v1/models/:id, GET /health.
 *
 * Decisions:
 *  - Any `model` name is accepted (agents may name it as they like); responses and /v1/models
 *    always report the served name (`modelName`, default: the GGUF file name without .gguf).
 *  - The model is loaded once at startup. `parallel` context sequences generate at once (batched
 *    by llama.cpp); further choices wait in a FIFO queue. Each choice of `n` is one unit of work.
 *  - `seed`: choice i uses seed + i, so the same request with the same seed gives the same
 *    choices when run alone (concurrent batching can change float rounding). Without a seed,
 *    every choice gets a fresh random seed.
 *  - Defaults follow OpenAI: temperature 1, top_p 1; without max_tokens generation runs until
 *    the model stops or the per-sequence context is full (finish_reason "length").
 *  - `stream: true` is accepted: the completion is generated whole, then sent as SSE chunks.
 *  - Unsupported features that would silently change semantics (tools, logprobs,
 *    response_format other than text) are rejected with 400.
 */
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as os from 'node:os';
import * as path from 'node:path';
import { randomBytes, randomInt } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { EngineCallError, EngineClient } from './engineClient';
import { CANCELLED, CONTEXT_LENGTH_EXCEEDED, type ChatMessage, type ChoiceResult, type EngineInfo, type SamplingParams } from './types';

export interface ModelServerOptions {
  /** Path of the GGUF weights file. */
  ggufPath: string;
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind; default 127.0.0.1 (loopback only). */
  host?: string;
  /** CPU threads for llama.cpp; default: all available cores. */
  threads?: number;
  /** Context sequences served at once; default 1. Further requests queue. */
  parallel?: number;
  /** Context size (tokens) of each sequence; default 2048, capped at the model's training context. */
  contextSize?: number;
  /** Name reported in responses and /v1/models; default: GGUF file name without extension. */
  modelName?: string;
  /** Largest `n` accepted; default 16. */
  maxN?: number;
  /** Largest request body in bytes; default 8 MiB. */
  maxBodyBytes?: number;
  /** Receives one line per request (method, path, status, ms); default: silent. */
  log?: (line: string) => void;
}

export interface ModelServer {
  /** Base URL for OpenAI clients, e.g. http://127.0.0.1:8080/v1 */
  url: string;
  /** The same without /v1. */
  origin: string;
  port: number;
  host: string;
  modelName: string;
  info: EngineInfo;
  close(): Promise<void>;
}

/** A request error reported as an OpenAI-style error body. */
export class RequestError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly type = status >= 500 ? 'server_error' : 'invalid_request_error',
  ) {
    super(message);
    this.name = 'RequestError';
  }
}

export interface ParsedChatRequest {
  requestedModel: string | undefined;
  messages: ChatMessage[];
  /** One entry per choice (length n). */
  choices: SamplingParams[];
  stream: boolean;
  includeUsageInStream: boolean;
}

const MAX_SEED = 2 ** 32;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function optNumber(body: Record<string, unknown>, key: string, min: number, max: number, minExclusive = false): number | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isFinite(v) || v > max || (minExclusive ? v <= min : v < min)) {
    throw new RequestError(400, `'${key}' must be a number ${minExclusive ? '>' : '>='} ${min} and <= ${max}`, key);
  }
  return v;
}

function optInt(body: Record<string, unknown>, key: string, min: number, max: number): number | undefined {
  const v = optNumber(body, key, min, max);
  if (v !== undefined && !Number.isInteger(v)) throw new RequestError(400, `'${key}' must be an integer`, key);
  return v;
}

function messageContent(content: unknown, i: number): string {
  if (content === null || content === undefined) return '';
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part, j) => {
        if (isObject(part) && part.type === 'text' && typeof part.text === 'string') return part.text;
        throw new RequestError(400, `messages[${i}].content[${j}]: only text parts are supported`, `messages[${i}].content`);
      })
      .join('');
  }
  throw new RequestError(400, `messages[${i}].content must be a string or an array of text parts`, `messages[${i}].content`);
}

/**
 * Validate a /v1/chat/completions body and resolve per-choice sampling parameters.
 * Pure: exported for unit tests.
 */
export function parseChatRequest(body: unknown, opts: { maxN?: number; random?: () => number } = {}): ParsedChatRequest {
  if (!isObject(body)) throw new RequestError(400, 'The request body must be a JSON object');
  const maxN = opts.maxN ?? 16;
  const random = opts.random ?? (() => randomInt(0, MAX_SEED));

  if (body.model !== undefined && typeof body.model !== 'string') throw new RequestError(400, "'model' must be a string", 'model');
  if (!Array.isArray(body.messages) || body.messages.length === 0) {
    throw new RequestError(400, "'messages' must be a non-empty array", 'messages');
  }
  const messages: ChatMessage[] = body.messages.map((m: unknown, i: number): ChatMessage => {
    if (!isObject(m)) throw new RequestError(400, `messages[${i}] must be an object`, `messages[${i}]`);
    const role = m.role;
    if (role === 'system' || role === 'developer') return { role: 'system', content: messageContent(m.content, i) };
    if (role === 'user') return { role: 'user', content: messageContent(m.content, i) };
    if (role === 'assistant') {
      if (Array.isArray(m.tool_calls) && m.tool_calls.length > 0) {
        throw new RequestError(400, `messages[${i}]: tool calls are not supported by this server`, `messages[${i}].tool_calls`);
      }
      return { role: 'assistant', content: messageContent(m.content, i) };
    }
    throw new RequestError(
      400,
      `messages[${i}].role must be one of system, developer, user, assistant (got ${JSON.stringify(role)})`,
      `messages[${i}].role`,
    );
  });

  if (Array.isArray(body.tools) && body.tools.length > 0) throw new RequestError(400, 'tools are not supported by this server', 'tools');
  if (body.logprobs === true) throw new RequestError(400, 'logprobs are not supported by this server', 'logprobs');
  if (body.response_format !== undefined && body.response_format !== null) {
    if (!isObject(body.response_format) || body.response_format.type !== 'text') {
      throw new RequestError(400, "only response_format {type: 'text'} is supported by this server", 'response_format');
    }
  }

  const temperature = optNumber(body, 'temperature', 0, 2) ?? 1;
  const topP = optNumber(body, 'top_p', 0, 1, true) ?? 1;
  const topK = optInt(body, 'top_k', 0, 1_000_000) ?? 0;
  const maxTokens = optInt(body, 'max_completion_tokens', 1, Number.MAX_SAFE_INTEGER) ?? optInt(body, 'max_tokens', 1, Number.MAX_SAFE_INTEGER);
  const n = optInt(body, 'n', 1, maxN) ?? 1;
  const seed = optInt(body, 'seed', Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER);

  let stop: string[] = [];
  if (typeof body.stop === 'string') stop = [body.stop];
  else if (Array.isArray(body.stop)) {
    if (body.stop.length > 16 || !body.stop.every((s): s is string => typeof s === 'string')) {
      throw new RequestError(400, "'stop' must be a string or an array of at most 16 strings", 'stop');
    }
    stop = body.stop;
  } else if (body.stop !== undefined && body.stop !== null) {
    throw new RequestError(400, "'stop' must be a string or an array of strings", 'stop');
  }
  stop = stop.filter((s) => s.length > 0);

  if (body.stream !== undefined && body.stream !== null && typeof body.stream !== 'boolean') {
    throw new RequestError(400, "'stream' must be a boolean", 'stream');
  }
  const includeUsageInStream = isObject(body.stream_options) && body.stream_options.include_usage === true;

  const base = seed === undefined ? undefined : ((seed % MAX_SEED) + MAX_SEED) % MAX_SEED;
  const choices: SamplingParams[] = [];
  for (let i = 0; i < n; i++) {
    choices.push({
      temperature,
      topP,
      topK,
      maxTokens: maxTokens ?? Number.MAX_SAFE_INTEGER,
      seed: base === undefined ? random() : (base + i) % MAX_SEED,
      stop,
    });
  }
  return { requestedModel: body.model as string | undefined, messages, choices, stream: body.stream === true, includeUsageInStream };
}

function sendJson(res: http.ServerResponse, status: number, body: unknown): void {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(data) });
  res.end(data);
}

function sendError(res: http.ServerResponse, err: RequestError): void {
  if (res.headersSent) {
    res.end();
    return;
  }
  sendJson(res, err.status, { error: { message: err.message, type: err.type, param: err.param, code: err.code } });
}

function readBody(req: http.IncomingMessage, limit: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        reject(new RequestError(413, `request body larger than ${limit} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

export async function startModelServer(options: ModelServerOptions): Promise<ModelServer> {
  const ggufPath = path.resolve(options.ggufPath);
  if (!fs.existsSync(ggufPath)) throw new Error(`model server: GGUF file not found: ${ggufPath}`);
  const host = options.host ?? '127.0.0.1';
  const threads = Math.max(1, Math.floor(options.threads ?? os.availableParallelism()));
  const parallel = Math.max(1, Math.floor(options.parallel ?? 1));
  const contextSize = Math.max(64, Math.floor(options.contextSize ?? 2048));
  const modelName = options.modelName ?? path.basename(ggufPath).replace(/\.gguf$/i, '');
  const maxBodyBytes = options.maxBodyBytes ?? 8 * 1024 * 1024;
  const maxN = options.maxN ?? 16;
  const log = options.log;
  const created = Math.floor(Date.now() / 1000);

  const { client: engine, info } = await EngineClient.start({ ggufPath, threads, parallel, contextSize });

  const modelObject = { id: modelName, object: 'model', created, owned_by: 'toa-local' };

  async function chatCompletions(req: http.IncomingMessage, res: http.ServerResponse): Promise<number> {
    const raw = await readBody(req, maxBodyBytes);
    let body: unknown;
    try {
      body = JSON.parse(raw);
    } catch (err) {
      throw new RequestError(400, `Invalid JSON body: ${(err as Error).message}`);
    }
    const parsed = parseChatRequest(body, { maxN });

    const abort = new AbortController();
    const onClose = (): void => {
      if (!res.writableFinished) abort.abort();
    };
    res.on('close', onClose);
    let results: ChoiceResult[];
    let promptTokens: number;
    try {
      const [prompt, ...choices] = await Promise.all([
        engine.prompt(parsed.messages),
        ...parsed.choices.map((params) => engine.generate(parsed.messages, params, abort.signal)),
      ]);
      promptTokens = (prompt as { promptTokens: number }).promptTokens;
      results = choices as ChoiceResult[];
    } catch (err) {
      abort.abort(); // stop sibling choices
      if (err instanceof EngineCallError && err.code === CONTEXT_LENGTH_EXCEEDED) {
        throw new RequestError(400, err.message, 'messages', CONTEXT_LENGTH_EXCEEDED);
      }
      if (err instanceof EngineCallError && err.code === CANCELLED) return 499;
      throw err;
    } finally {
      res.off('close', onClose);
    }

    const completionTokens = results.reduce((a, r) => a + r.completionTokens, 0);
    const usage = { prompt_tokens: promptTokens, completion_tokens: completionTokens, total_tokens: promptTokens + completionTokens };
    const id = `chatcmpl-${randomBytes(12).toString('hex')}`;
    const createdAt = Math.floor(Date.now() / 1000);
    const fingerprint = `toa-local-${info.chatWrapper}`;

    if (!parsed.stream) {
      sendJson(res, 200, {
        id,
        object: 'chat.completion',
        created: createdAt,
        model: modelName,
        system_fingerprint: fingerprint,
        choices: results.map((r, index) => ({
          index,
          message: { role: 'assistant', content: r.text, refusal: null },
          logprobs: null,
          finish_reason: r.finishReason,
        })),
        usage,
      });
      return 200;
    }

    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
    const chunk = (choices: unknown[], extra: Record<string, unknown> = {}): void => {
      const data = { id, object: 'chat.completion.chunk', created: createdAt, model: modelName, system_fingerprint: fingerprint, choices, ...extra };
      res.write(`data: ${JSON.stringify(data)}\n\n`);
    };
    results.forEach((r, index) => {
      chunk([{ index, delta: { role: 'assistant', content: r.text }, logprobs: null, finish_reason: null }]);
      chunk([{ index, delta: {}, logprobs: null, finish_reason: r.finishReason }]);
    });
    if (parsed.includeUsageInStream) chunk([], { usage });
    res.end('data: [DONE]\n\n');
    return 200;
  }

  async function handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<number> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const p = url.pathname.replace(/\/+$/, '') || '/';
    if (p === '/v1/chat/completions' || p === '/chat/completions') {
      if (req.method !== 'POST') throw new RequestError(405, `Method ${req.method} not allowed on ${p}; use POST`);
      return chatCompletions(req, res);
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') throw new RequestError(404, `Unknown route ${req.method} ${p}`, null, 'not_found');
    if (p === '/v1/models' || p === '/models') {
      sendJson(res, 200, { object: 'list', data: [modelObject] });
      return 200;
    }
    const m = /^\/(?:v1\/)?models\/(.+)$/.exec(p);
    if (m) {
      // Any name is served by the one model; report the served name.
      sendJson(res, 200, modelObject);
      return 200;
    }
    if (p === '/health' || p === '/v1/health') {
      sendJson(res, 200, { status: 'ok', model: modelName, ...info, ...(await engine.stats()) });
      return 200;
    }
    throw new RequestError(404, `Unknown route ${req.method} ${p}`, null, 'not_found');
  }

  const server = http.createServer((req, res) => {
    const t0 = Date.now();
    handle(req, res)
      .then((status) => log?.(`${req.method} ${req.url} ${status} ${Date.now() - t0}ms`))
      .catch((err: unknown) => {
        const e = err instanceof RequestError ? err : new RequestError(500, `Internal error: ${(err as Error)?.message ?? String(err)}`);
        sendError(res, e);
        log?.(`${req.method} ${req.url} ${e.status} ${Date.now() - t0}ms ${e.message}`);
      });
  });
  server.keepAliveTimeout = 5000;

  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (err) {
    await engine.close();
    throw err;
  }
  const port = (server.address() as AddressInfo).port;
  const hostInUrl = host.includes(':') ? `[${host}]` : host === '0.0.0.0' ? '127.0.0.1' : host === '::' ? '[::1]' : host;
  const origin = `http://${hostInUrl}:${port}`;

  let closing: Promise<void> | undefined;
  return {
    url: `${origin}/v1`,
    origin,
    port,
    host,
    modelName,
    info,
    close() {
      closing ??= (async () => {
        await new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeIdleConnections();
          setTimeout(() => server.closeAllConnections(), 2000).unref();
        });
        await engine.close();
      })();
      return closing;
    },
  };
}
