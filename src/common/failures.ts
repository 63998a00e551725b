/**
 * THE failure vocabulary: every failure an activity throws is an ApplicationFailure whose `type`
 * is one of these names, and whether Temporal retries it follows from the name alone. Workflow-safe
 * (no imports), so workflows, activities, the CLI and the docs share this one list.
 *
 * Retrying can help:
 *   RateLimited   HTTP 429                           (Retry-After / retry-after-ms honoured)
 *   ServerError   HTTP 5xx except 501, 425 Too Early (Retry-After honoured)
 *   Timeout       HTTP 408, no complete answer within the per-attempt timeout
 *   Unreachable   connection refused / reset, DNS, socket errors
 *   StoreIO       an I/O error of the response store or the records folder (disk full, EMFILE, EIO)
 *   DatasetIO     an I/O error reading the dataset (EMFILE, EIO): paging is retried
 * Retrying cannot help (the prompt fails at once, with this type and a one-line message):
 *   BadRequest        other HTTP 4xx, and 501 Not Implemented (wrong endpoint or model)
 *   Unauthorized      HTTP 401 / 403 (check the API key)
 *   MalformedResponse a 2xx answer that is not what the API promises
 *   JudgeUnparseable  an LLM judge gave no score, also after being asked once more
 *   MissingApiKey     the key variable a sweep names is unset on this worker
 *   MissingReference  a reference-based reward without a reference for this prompt
 *   ConfigError       configuration or input that no retry fixes
 *   NotAllowed        an endpoint, key variable or path this worker's configuration does not allow
 *   StoreError        a text missing from the store or damaged
 *   DatasetError      a dataset that cannot be used (missing file, bad encoding)
 */
import { ApplicationFailure } from '@temporalio/common';

export const RETRYABLE_FAILURES = ['RateLimited', 'ServerError', 'Timeout', 'Unreachable', 'StoreIO', 'DatasetIO'] as const;
export const NON_RETRYABLE_FAILURES = [
  'BadRequest',
  'Unauthorized',
  'MalformedResponse',
  'JudgeUnparseable',
  'MissingApiKey',
  'MissingReference',
  'ConfigError',
  'NotAllowed',
  'StoreError',
  'DatasetError',
] as const;

export type RetryableFailure = (typeof RETRYABLE_FAILURES)[number];
export type NonRetryableFailure = (typeof NON_RETRYABLE_FAILURES)[number];
export type FailureType = RetryableFailure | NonRetryableFailure;

export function isRetryableFailure(type: string): type is RetryableFailure {
  return (RETRYABLE_FAILURES as readonly string[]).includes(type);
}

/**
 * The one way activities fail: an ApplicationFailure of a vocabulary type, retryable exactly when
 * the type says so. `nextRetryDelayMs` (a server's Retry-After) replaces Temporal's backoff once.
 */
export function failure(
  type: FailureType,
  message: string,
  opts: { cause?: Error; nextRetryDelayMs?: number; details?: unknown[] } = {},
): ApplicationFailure {
  return ApplicationFailure.create({
    message,
    type,
    nonRetryable: !isRetryableFailure(type),
    ...(opts.nextRetryDelayMs === undefined ? {} : { nextRetryDelay: opts.nextRetryDelayMs }),
    ...(opts.details ? { details: opts.details } : {}),
    ...(opts.cause ? { cause: opts.cause } : {}),
  });
}

/**
 * The failures a prompt survives when its sweep's `onPlayFailure` is `continue` (the default):
 * non-retryable failures that concern one play's content, so other plays of the prompt can still
 * succeed. The play is recorded as failed and the search goes on (docs/algorithm.md, "Failed
 * plays"). Everything else still fails the prompt, because going on could not succeed and would
 * only spend the budget: Unauthorized, MissingApiKey, ConfigError, NotAllowed, StoreError,
 * MissingReference, DatasetError, and retryable failures whose retries ran out.
 */
export const PLAY_CONTENT_FAILURES = ['BadRequest', 'MalformedResponse', 'JudgeUnparseable'] as const;

/**
 * HTTP statuses that the classifier reports as BadRequest but that say the endpoint or model is
 * wrong (404: wrong base URL or model name, 405, 501: not implemented), not the play's content:
 * every play of that agent would fail the same way, so the prompt fails.
 */
export const MISCONFIGURED_ENDPOINT_STATUSES: readonly number[] = [404, 405, 501];

/**
 * True when a prompt survives this failure of one of its plays (under `onPlayFailure: continue`).
 * `status` is the HTTP status the classifier attached to the failure's details, if any.
 */
export function isPlayContentFailure(type: string, status?: number): boolean {
  if (!(PLAY_CONTENT_FAILURES as readonly string[]).includes(type)) return false;
  return !(type === 'BadRequest' && status !== undefined && MISCONFIGURED_ENDPOINT_STATUSES.includes(status));
}

/** The type and message of a failure, for progress and records. */
export function failureOf(err: unknown): { type: string; message: string } {
  type Link = { cause?: unknown; type?: string; message?: string; name?: string } | undefined;
  // The first application failure along the chain says what went wrong (e.g. `Unreachable: ...
  // POST <url> ...`); its own cause is the low-level error it wraps (`connect ECONNREFUSED`).
  for (let c = err as Link; c; c = c.cause as Link) {
    if (typeof c.type === 'string' && c.type !== '') return { type: c.type, message: String(c.message ?? c) };
  }
  let e = err as Link;
  while (e && e.cause) e = e.cause as Link;
  return { type: e?.type ?? e?.name ?? 'Error', message: String(e?.message ?? err) };
}
