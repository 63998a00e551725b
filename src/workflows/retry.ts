import type { RetryPolicy } from '@temporalio/common';

/** How model and reward calls are retried; the defaults resemble and bound the authors' 20 × 20 s. */
export interface RetrySpec {
  maxAttempts: number;
  initialIntervalSeconds: number;
  maxIntervalSeconds: number;
}

export const DEFAULT_RETRY: RetrySpec = { maxAttempts: 12, initialIntervalSeconds: 1, maxIntervalSeconds: 60 };

export function toRetryPolicy(spec: RetrySpec | undefined): RetryPolicy {
  const s = spec ?? DEFAULT_RETRY;
  return {
    maximumAttempts: s.maxAttempts,
    initialInterval: `${s.initialIntervalSeconds} seconds`,
    maximumInterval: `${s.maxIntervalSeconds} seconds`,
    backoffCoefficient: 2,
    // Misconfiguration is never fixed by waiting: these fail the prompt at once.
    nonRetryableErrorTypes: ['BadRequest', 'MissingApiKey', 'MalformedResponse', 'MissingReference', 'ConfigError'],
  };
}
