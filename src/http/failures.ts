/**
 * THE classifier for every HTTP call the workers make (model sampling, LLM judges, reward
 * servers). Temporal owns retries, so each failure leaves here as an ApplicationFailure whose type
 * comes from the one vocabulary in src/common/failures.ts, and whose retryability follows from it:
 *
 *   retryable      RateLimited (429), ServerError (5xx except 501; 425 Too Early), Timeout (408,
 *                  client-side timeouts), Unreachable (refused / reset / DNS / socket closed).
 *                  `retry-after-ms` (OpenAI) or `Retry-After` (seconds or HTTP date) becomes
 *                  `nextRetryDelay`, which Temporal uses instead of its backoff for that attempt.
 *   non-retryable  BadRequest (other 4xx, 501), Unauthorized (401, 403), MalformedResponse (a 2xx
 *                  answer that is not valid JSON or lacks / mistypes a field), MissingApiKey,
 *                  ConfigError.
 *
 * Messages are one line and name the endpoint (method + URL) and the problem. They reach
 * workflow histories, logs and the UI, so nothing secret may be in them: API keys are replaced by
 * `***` wherever they appear (also in echoed bodies), and URLs are shown without user info and
 * with query values hidden (`?key=***`).
 */
import { ApplicationFailure } from '@temporalio/common';
import { APIConnectionError, APIConnectionTimeoutError, APIError } from 'openai';

import { failure, type NonRetryableFailure, type RetryableFailure } from '../common/failures';

/** Who is calling what: used in every message. */
export interface CallSite {
  /** e.g. `agent "qwen" (model qwen2-7b)` or `reward http`. */
  what: string;
  /** Full URL of the request. */
  url: string;
  method?: string;
  /** Values that must never appear in a message (API keys). */
  secrets?: Array<string | undefined>;
}

type HeaderLike = { get(name: string): string | null } | Record<string, string | string[] | undefined> | undefined | null;

const MAX_DETAIL = 300;
/** Upper bound on a server-requested delay (a misbehaving server should not park a prompt for days). */
export const MAX_RETRY_AFTER_MS = 60 * 60 * 1000;

/** Collapses whitespace to one line and truncates. */
export function oneLine(s: string, max = MAX_DETAIL): string {
  const flat = s.replace(/\s+/g, ' ').trim();
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}

/** Replaces every secret (and its Bearer form) in `s` with `***`. */
export function redact(s: string, secrets?: Array<string | undefined>): string {
  let out = s;
  for (const secret of secrets ?? []) {
    if (secret && secret.length >= 4) out = out.split(secret).join('***');
  }
  return out;
}

function header(headers: HeaderLike, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as { get?: unknown }).get === 'function') {
    return (headers as { get(n: string): string | null }).get(name) ?? undefined;
  }
  const rec = headers as Record<string, string | string[] | undefined>;
  const v = rec[name] ?? rec[name.toLowerCase()];
  return Array.isArray(v) ? v[0] : v;
}

/**
 * The delay a server asks for, in ms: `retry-after-ms` (OpenAI), else `Retry-After` as seconds
 * or an HTTP date. Undefined when absent or unparsable; capped at MAX_RETRY_AFTER_MS.
 */
export function retryAfterMs(headers: HeaderLike, nowMs: number = Date.now()): number | undefined {
  const ms = header(headers, 'retry-after-ms');
  if (ms !== undefined && ms.trim() !== '') {
    const v = Number(ms);
    if (Number.isFinite(v) && v >= 0) return Math.min(Math.ceil(v), MAX_RETRY_AFTER_MS);
  }
  const ra = header(headers, 'retry-after');
  if (ra === undefined || ra.trim() === '') return undefined;
  const secs = Number(ra);
  if (Number.isFinite(secs)) return secs >= 0 ? Math.min(Math.ceil(secs * 1000), MAX_RETRY_AFTER_MS) : undefined;
  const date = Date.parse(ra);
  if (Number.isFinite(date)) return Math.min(Math.max(0, date - nowMs), MAX_RETRY_AFTER_MS);
  return undefined;
}

/**
 * A URL as it may appear in messages: no user info, query values hidden. (A key passed as
 * `?key=...` or `https://user:pass@host` must not reach a workflow history.)
 */
export function safeUrl(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return url.replace(/\/\/[^/@]*@/, '//***@').replace(/\?.*$/, '?***');
  }
  if (u.username || u.password) {
    u.username = '***';
    u.password = '';
  }
  for (const key of [...u.searchParams.keys()]) u.searchParams.set(key, '***');
  return u.toString().replace(/%2A%2A%2A/g, '***');
}

function at(site: CallSite): string {
  return `${site.what}: ${site.method ?? 'POST'} ${safeUrl(site.url)}`;
}

function finish(site: CallSite, message: string): string {
  return oneLine(redact(message, site.secrets), 600);
}

function retryable(
  site: CallSite,
  type: RetryableFailure,
  message: string,
  extra?: { nextRetryDelayMs?: number; status?: number; cause?: Error },
): ApplicationFailure {
  return failure(type, finish(site, message), {
    nextRetryDelayMs: extra?.nextRetryDelayMs,
    details: [{ url: safeUrl(site.url), status: extra?.status }],
    cause: extra?.cause,
  });
}

function nonRetryable(site: CallSite | undefined, type: NonRetryableFailure, message: string, status?: number): ApplicationFailure {
  return failure(type, site ? finish(site, message) : oneLine(message, 600), site ? { details: [{ url: safeUrl(site.url), status }] } : {});
}

/** The server's own explanation from an error body (OpenAI `{error:{message}}`, `{error}`, `{message}`, `{detail}`, or text). */
export function serverMessage(body: unknown): string {
  if (body === undefined || body === null) return '';
  if (typeof body === 'string') {
    try {
      return serverMessage(JSON.parse(body));
    } catch {
      return oneLine(body);
    }
  }
  if (typeof body === 'object') {
    const b = body as Record<string, unknown>;
    const err = b.error;
    if (err && typeof err === 'object' && typeof (err as Record<string, unknown>).message === 'string') {
      return oneLine((err as { message: string }).message);
    }
    for (const k of ['message', 'error', 'detail']) {
      const v = b[k];
      if (typeof v === 'string') return oneLine(v);
      if (v !== undefined && v !== null && typeof v === 'object') return oneLine(JSON.stringify(v));
    }
    return oneLine(JSON.stringify(body));
  }
  return oneLine(String(body));
}

/** Failure for a non-2xx HTTP status. */
export function statusFailure(site: CallSite, status: number, headers?: HeaderLike, body?: unknown): ApplicationFailure {
  const detail = serverMessage(body);
  const tail = detail ? `: ${detail}` : '';
  if (status === 429 || status === 408 || status === 425 || (status >= 500 && status !== 501)) {
    const delay = retryAfterMs(headers);
    const after = delay !== undefined ? `; retry after ${formatMs(delay)} (Retry-After)` : '';
    const type: RetryableFailure = status === 429 ? 'RateLimited' : status === 408 ? 'Timeout' : 'ServerError';
    const label = status === 429 ? 'rate limited' : status === 408 ? 'request timeout' : status === 425 ? 'too early' : 'server error';
    return retryable(site, type, `${at(site)}: HTTP ${status} (${label})${tail}${after}`, { nextRetryDelayMs: delay, status });
  }
  if (status === 401 || status === 403) {
    return nonRetryable(site, 'Unauthorized', `${at(site)}: HTTP ${status} (check the API key)${tail}`, status);
  }
  if (status >= 400) {
    const hint = status === 404 ? ' (wrong base URL or model name?)' : status === 501 ? ' (not implemented by this server)' : '';
    return nonRetryable(site, 'BadRequest', `${at(site)}: HTTP ${status}${hint}${tail}`, status);
  }
  // 1xx/3xx that fetch did not follow: not something waiting fixes.
  return nonRetryable(site, 'BadRequest', `${at(site)}: unexpected HTTP ${status}${tail}`, status);
}

/** Failure for a request that took longer than its per-attempt timeout. */
export function timeoutFailure(site: CallSite, timeoutMs: number): ApplicationFailure {
  return retryable(site, 'Timeout', `${at(site)}: no complete answer within ${formatMs(timeoutMs)} (timeout)`);
}

const TIMEOUT_CODES = new Set([
  'ETIMEDOUT',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
  'ESOCKETTIMEDOUT',
]);

/** Error codes along an error's cause chain (ECONNREFUSED, UND_ERR_SOCKET, ...). */
export function errorCodes(err: unknown): string[] {
  const codes: string[] = [];
  let e: unknown = err;
  for (let depth = 0; e && typeof e === 'object' && depth < 8; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') codes.push(code);
    const errors = (e as { errors?: unknown }).errors; // AggregateError (happy eyeballs)
    if (Array.isArray(errors)) for (const sub of errors) codes.push(...errorCodes(sub));
    e = (e as { cause?: unknown }).cause;
  }
  return codes;
}

function deepestMessage(err: unknown): string {
  let e: unknown = err;
  let msg = err instanceof Error ? err.message : String(err);
  for (let depth = 0; e && typeof e === 'object' && depth < 8; depth++) {
    if (e instanceof Error && e.message) msg = e.message;
    e = (e as { cause?: unknown }).cause;
  }
  return msg;
}

/** Failure for an error below HTTP (no status): refused, reset, DNS, socket timeouts. */
export function transportFailure(site: CallSite, err: unknown, timeoutMs?: number): ApplicationFailure {
  const codes = errorCodes(err);
  if (codes.some((c) => TIMEOUT_CODES.has(c)) || err instanceof APIConnectionTimeoutError) {
    return timeoutMs !== undefined
      ? timeoutFailure(site, timeoutMs)
      : retryable(site, 'Timeout', `${at(site)}: timed out (${deepestMessage(err)})`);
  }
  const code = codes.find((c) => /^E[A-Z]+$/.test(c) || c.startsWith('UND_ERR')) ?? codes[0];
  const why =
    code === 'ECONNREFUSED'
      ? 'connection refused (is the server running?)'
      : code === 'ECONNRESET' || code === 'UND_ERR_SOCKET' || code === 'EPIPE'
        ? 'connection reset by the server'
        : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
          ? 'host name not found'
          : `cannot reach the server${code ? ` (${code})` : ''}`;
  return retryable(site, 'Unreachable', `${at(site)}: ${why}: ${deepestMessage(err)}`, {
    cause: err instanceof Error ? err : undefined,
  });
}

/** Failure for a 2xx answer that cannot be used (bad JSON, missing or mistyped field). */
export function malformedResponse(site: CallSite, problem: string): ApplicationFailure {
  return nonRetryable(site, 'MalformedResponse', `${at(site)}: malformed answer: ${problem}`);
}

/** Failure for a configured API-key variable that is unset or empty in the worker's environment. */
export function missingApiKey(variable: string, who: string): ApplicationFailure {
  return nonRetryable(
    undefined,
    'MissingApiKey',
    `${who}: environment variable ${variable} (apiKeyEnv) is not set or empty in the worker's environment`,
  );
}

/** Failure for configuration or input that no retry can fix. */
export function configError(message: string): ApplicationFailure {
  return nonRetryable(undefined, 'ConfigError', message);
}

/**
 * Classifies an error thrown by the `openai` client (with its own retries off). An
 * APIUserAbortError is not handled here: the caller knows whether its deadline or a
 * cancellation aborted the request.
 */
export function fromOpenAIError(site: CallSite, err: unknown, timeoutMs?: number): ApplicationFailure {
  if (err instanceof ApplicationFailure) return err;
  if (err instanceof APIConnectionTimeoutError) {
    return timeoutMs !== undefined ? timeoutFailure(site, timeoutMs) : retryable(site, 'Timeout', `${at(site)}: timed out`);
  }
  if (err instanceof APIConnectionError) return transportFailure(site, err.cause ?? err, timeoutMs);
  if (err instanceof APIError && typeof err.status === 'number') {
    const body = err.error !== undefined ? { error: err.error } : err.message;
    return statusFailure(site, err.status, err.headers, body);
  }
  if (err instanceof SyntaxError) return malformedResponse(site, `body is not valid JSON (${err.message})`);
  const codes = errorCodes(err);
  if (codes.length > 0) return transportFailure(site, err, timeoutMs);
  return retryable(site, 'Unreachable', `${at(site)}: unexpected error: ${err instanceof Error ? err.message : String(err)}`, {
    cause: err instanceof Error ? err : undefined,
  });
}

export function formatMs(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  const s = ms / 1000;
  return Number.isInteger(s) ? `${s}s` : `${s.toFixed(1)}s`;
}
