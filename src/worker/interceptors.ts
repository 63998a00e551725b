/**
 * Cross-cutting worker behaviour as Temporal interceptors.
 *
 * failureLine: one readable line on stderr per failed activity attempt ("retrying play (attempt
 * 3) of sweep/toa/b16/s0/p7: RateLimited agent ..."), instead of the SDK's multi-line dump with
 * task tokens (hidden by the worker component's log level, see ./logging.ts). Cancellations are
 * not failures and print nothing.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import type { ActivityInboundCallsInterceptor, ActivityInterceptorsFactory } from '@temporalio/worker';
import { failureOf } from '../common/failures';

export function failureLineInterceptors(write: (line: string) => void = (l) => process.stderr.write(l)): ActivityInterceptorsFactory {
  return (ctx: Context) => {
    const inbound: ActivityInboundCallsInterceptor = {
      async execute(input, next) {
        try {
          return await next(input);
        } catch (err) {
          if (!(err instanceof CancelledFailure) && !ctx.cancellationSignal.aborted) {
            const { activityType, attempt, workflowExecution } = ctx.info;
            const { type, message } = failureOf(err);
            const verdict = err instanceof ApplicationFailure && err.nonRetryable ? 'failed for good' : 'retrying';
            write(`${verdict}: ${activityType} (attempt ${attempt}) of ${workflowExecution?.workflowId ?? '(no workflow)'}: ${type} ${message}\n`);
          }
          throw err;
        }
      },
    };
    return { inbound };
  };
}
