import type { RetryPolicy } from '@temporalio/common';
import { NON_RETRYABLE_FAILURES } from './failures';

/** How model and reward calls are retried; the defaults resemble and bound the authors' 20 × 20 s. */
export interface RetrySpec {
  maxAttempts: number;
  initialIntervalSeconds: number;
  maxIntervalSeconds: number;
}

export const DEFAULT_RETRY: RetrySpec = { maxAttempts: 12, initialIntervalSeconds: 1, maxIntervalSeconds: 60 };

export function toRetryPolicy(spec: RetrySpec | undefined, opts: { listNonRetryableTypes?: boolean } = {}): RetryPolicy {
  const s = spec ?? DEFAULT_RETRY;
  return {
    maximumAttempts: s.maxAttempts,
    initialInterval: `${s.initialIntervalSeconds} seconds`,
    maximumInterval: `${s.maxIntervalSeconds} seconds`,
    backoffCoefficient: 2,
    // The activities already throw these as non-retryable; the list is a second guard (left out
    // where it would be repeated in every scheduled play and only grow history).
    ...(opts.listNonRetryableTypes === false ? {} : { nonRetryableErrorTypes: [...NON_RETRYABLE_FAILURES] }),
  };
}
