/**
 * JSON over HTTP for reward backends and other non-OpenAI endpoints, with every failure
 * classified (see ./failures.ts). Uses Node's global fetch; the caller passes its cancellation signal.
 */
import {
  configError,
  malformedResponse,
  oneLine,
  statusFailure,
  timeoutFailure,
  transportFailure,
  type CallSite,
} from './failures';
import { startDeadline } from './deadline';

export interface PostJsonOptions {
  /** Per-attempt timeout: the whole exchange, body included. */
  timeoutMs: number;
  /** Cancellation (the activity's signal). */
  signal?: AbortSignal;
  /** Sent as `Authorization: Bearer <apiKey>` when set. */
  apiKey?: string;
  headers?: Record<string, string>;
}

/**
 * POSTs `body` as JSON and returns the parsed JSON answer. Throws classified ApplicationFailures
 * (retryable for 429 / 5xx / timeouts / connection errors, non-retryable for other 4xx and
 * answers that are not JSON). If `signal` aborts, its reason is thrown as it is, for the caller
 * (withCallContext) to turn into a cancellation.
 */
export async function postJson(site: CallSite, body: unknown, opts: PostJsonOptions): Promise<unknown> {
  const s: CallSite = { ...site, method: 'POST', secrets: [...(site.secrets ?? []), opts.apiKey] };
  let url: URL;
  try {
    url = new URL(site.url);
  } catch {
    throw configError(`${site.what}: invalid URL ${JSON.stringify(site.url)}`);
  }
  const deadline = startDeadline(opts.timeoutMs, opts.signal);
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', ...opts.headers };
  if (opts.apiKey) headers.authorization = `Bearer ${opts.apiKey}`;
  let status: number;
  let resHeaders: Headers;
  let text: string;
  try {
    const res = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal: deadline.signal });
    status = res.status;
    resHeaders = res.headers;
    text = await res.text();
  } catch (err) {
    if (opts.signal?.aborted) throw opts.signal.reason ?? err;
    if (deadline.expired) throw timeoutFailure(s, opts.timeoutMs);
    throw transportFailure(s, err, opts.timeoutMs);
  } finally {
    deadline.clear();
  }
  if (status < 200 || status >= 300) throw statusFailure(s, status, resHeaders, text);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw malformedResponse(s, `body is not valid JSON (${(err as Error).message}): ${JSON.stringify(oneLine(text, 120))}`);
  }
}
