import type { RetryPolicy } from '@temporalio/common';

/** How model and reward calls are retried; the defaults resemble and bound the authors' 20 × 20 s. */
export interface RetrySpec {
  maxAttempts: number;
  initialIntervalSeconds: number;
  maxIntervalSeconds: number;
}

export const DEFAULT_RETRY: RetrySpec = { maxAttempts: 12, initialIntervalSeconds: 1, maxIntervalSeconds: 60 };

/**
 * Misconfiguration is never fixed by waiting: these fail the prompt at once. (Workflow-side;
 * the activities' own list, src/activities/errors.ts, cannot be imported here: it pulls in openai.)
 */
const POLICY_NON_RETRYABLE_TYPES = ['BadRequest', 'MissingApiKey', 'MalformedResponse', 'MissingReference', 'ConfigError'];

export function toRetryPolicy(spec: RetrySpec | undefined, opts: { listNonRetryableTypes?: boolean } = {}): RetryPolicy {
  const s = spec ?? DEFAULT_RETRY;
  return {
    maximumAttempts: s.maxAttempts,
    initialInterval: `${s.initialIntervalSeconds} seconds`,
    maximumInterval: `${s.maxIntervalSeconds} seconds`,
    backoffCoefficient: 2,
    // The activities already throw these as non-retryable; the list is a second guard.
    ...(opts.listNonRetryableTypes === false ? {} : { nonRetryableErrorTypes: POLICY_NON_RETRYABLE_TYPES }),
  };
}
