/**
 * Minimal error helpers for the reward backends that call HTTP servers (llm-judge, vllm-reward).
 *
 * Every failure leaves this module as a Temporal `ApplicationFailure`, so the activity layer can
 * rethrow it untouched and Temporal's retry policy does the right thing:
 *   - 408 / 425 / 429 / 5xx, timeouts and connection errors -> retryable; `Retry-After` (seconds
 *     or HTTP date) becomes `nextRetryDelay`;
 *   - any other 4xx, malformed answers, bad configuration -> `nonRetryable`.
 * Messages are one line, name the URL (origin + path only: no user info, no query string) and
 * the problem, and never contain an API key (the key is also scrubbed from echoed bodies).
 *
 * NOTE: src/activities/errors.ts (another engineer) is meant to hold the project-wide helpers;
 * this file is a stand-in so the reward backends do not wait on it, and can be merged into it.
 */
import { ApplicationFailure } from '@temporalio/common';

/** Failure `type` strings used by the reward backends (stable: other modules may match on them). */
export const RewardErrorType = {
  RateLimited: 'RateLimited',
  ServerError: 'ServerError',
  Timeout: 'Timeout',
  ConnectionError: 'ConnectionError',
  HttpClientError: 'HttpClientError',
  MalformedResponse: 'MalformedResponse',
  JudgeUnparseable: 'JudgeUnparseable',
  MissingReference: 'MissingReference',
  MissingApiKey: 'MissingApiKey',
  InvalidRewardSpec: 'InvalidRewardSpec',
} as const;

/** Origin + path of a URL: drops user info and the query string, which may carry credentials. */
export function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `${u.origin}${u.pathname}`;
  } catch {
    return url.replace(/\?.*$/, '');
  }
}

/** One line, at most `max` characters, with the secret (if any) replaced. */
export function oneLine(text: string, max = 200, secret?: string): string {
  let t = text.replace(/\s+/g, ' ').trim();
  if (secret) t = t.split(secret).join('***');
  return t.length > max ? `${t.slice(0, max)}…` : t;
}

/**
 * `Retry-After` header value -> milliseconds (delta-seconds or HTTP-date), undefined when absent
 * or unparseable. Capped at one hour so a hostile header cannot park a workflow for days.
 */
export function parseRetryAfter(value: string | null | undefined, now = Date.now()): number | undefined {
  if (value == null) return undefined;
  const v = value.trim();
  if (v === '') return undefined;
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(v)) ms = Number(v) * 1000;
  else {
    const t = Date.parse(v);
    if (Number.isNaN(t)) return undefined;
    ms = t - now;
  }
  return Math.min(Math.max(0, Math.round(ms)), 3_600_000);
}

export function isRetryableStatus(status: number): boolean {
  return status === 408 || status === 425 || status === 429 || (status >= 500 && status <= 599);
}

/** Failure for a non-2xx HTTP status. `body` is an excerpt of the response body (may be empty). */
export function httpStatusFailure(
  what: string,
  url: string,
  status: number,
  body: string,
  retryAfter?: string | null,
  secret?: string,
): ApplicationFailure {
  const detail = body ? `: ${oneLine(body, 200, secret)}` : '';
  const message = `${what}: POST ${safeUrl(url)} returned HTTP ${status}${detail}`;
  if (isRetryableStatus(status)) {
    const nextRetryDelay = parseRetryAfter(retryAfter);
    return ApplicationFailure.create({
      message,
      type: status === 429 ? RewardErrorType.RateLimited : RewardErrorType.ServerError,
      nonRetryable: false,
      details: [{ url: safeUrl(url), status }],
      ...(nextRetryDelay !== undefined ? { nextRetryDelay } : {}),
    });
  }
  return ApplicationFailure.create({
    message,
    type: RewardErrorType.HttpClientError,
    nonRetryable: true,
    details: [{ url: safeUrl(url), status }],
  });
}

/** Retryable failure for a timeout or a connection-level error (refused, reset, DNS, ...). */
export function networkFailure(
  what: string,
  url: string,
  err: unknown,
  timeoutMs?: number,
  timedOut = isTimeoutError(err),
): ApplicationFailure {
  const reason = timedOut
    ? `timed out${timeoutMs !== undefined ? ` after ${timeoutMs / 1000}s` : ''}`
    : `connection failed (${describeNetworkError(err)})`;
  return ApplicationFailure.create({
    message: `${what}: POST ${safeUrl(url)} ${reason}`,
    type: timedOut ? RewardErrorType.Timeout : RewardErrorType.ConnectionError,
    nonRetryable: false,
    details: [{ url: safeUrl(url) }],
  });
}

/** Non-retryable failure: the server answered 2xx but the body is not what the API promises. */
export function malformedFailure(what: string, url: string, problem: string, secret?: string): ApplicationFailure {
  return ApplicationFailure.create({
    message: `${what}: POST ${safeUrl(url)} returned a malformed answer: ${oneLine(problem, 300, secret)}`,
    type: RewardErrorType.MalformedResponse,
    nonRetryable: true,
    details: [{ url: safeUrl(url) }],
  });
}

export function nonRetryable(type: string, message: string): ApplicationFailure {
  return ApplicationFailure.create({ message, type, nonRetryable: true });
}

/** The API key named by `apiKeyEnv`, or undefined when none is configured. Missing variable -> nonRetryable. */
export function readApiKey(what: string, apiKeyEnv: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  if (!apiKeyEnv) return undefined;
  const key = env[apiKeyEnv];
  if (key === undefined || key === '')
    throw nonRetryable(
      RewardErrorType.MissingApiKey,
      `${what}: environment variable ${apiKeyEnv} (apiKeyEnv) is not set on this worker`,
    );
  return key;
}

export function isTimeoutError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  if (err.name === 'TimeoutError') return true; // AbortSignal.timeout()
  if (err.constructor?.name === 'APIConnectionTimeoutError') return true; // openai
  const code = (err as { code?: unknown }).code ?? (err.cause as { code?: unknown } | undefined)?.code;
  return code === 'ETIMEDOUT' || code === 'UND_ERR_CONNECT_TIMEOUT' || code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
}

function describeNetworkError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause as { code?: unknown; message?: unknown } | undefined;
  const code = (err as { code?: unknown }).code ?? cause?.code;
  const msg = typeof cause?.message === 'string' && cause.message ? cause.message : err.message;
  return oneLine(typeof code === 'string' ? `${code}: ${msg}` : msg, 160);
}
