/**
 * Heartbeats and cancellation for activities that wait on the network, working both inside a
 * Temporal activity and when the function is called directly (tests, benchmarks).
 *
 * Inside an activity: heartbeats every third of the heartbeat timeout (at most every 10 s, at
 * least every 100 ms), so Temporal notices a dead worker and can deliver a cancellation; the
 * request is aborted through the activity's cancellation signal, and the activity then fails
 * with CancelledFailure (which the worker reports as a cancellation).
 */
import { asyncLocalStorage } from '@temporalio/activity';
import { CancelledFailure } from '@temporalio/common';

export interface CallContext {
  /** Aborted when the activity is cancelled (never, outside an activity unless `signal` was given). */
  signal: AbortSignal;
  /** Records progress; a no-op outside an activity. */
  heartbeat(details?: unknown): void;
  inActivity: boolean;
}

export function heartbeatIntervalMs(heartbeatTimeoutMs: number | undefined): number {
  if (!heartbeatTimeoutMs || heartbeatTimeoutMs <= 0) return 10_000;
  return Math.max(100, Math.min(10_000, Math.floor(heartbeatTimeoutMs / 3)));
}

/**
 * Runs `fn` with a signal and a heartbeat; heartbeats on an interval while it waits. If the
 * signal aborts while `fn` runs, throws CancelledFailure whatever `fn` threw.
 */
export async function withCallContext<T>(what: string, fn: (ctx: CallContext) => Promise<T>, signal?: AbortSignal): Promise<T> {
  const activity = asyncLocalStorage.getStore();
  const sig = activity
    ? signal
      ? AbortSignal.any([activity.cancellationSignal, signal])
      : activity.cancellationSignal
    : (signal ?? new AbortController().signal);
  const beat = (details?: unknown): void => {
    if (activity) activity.heartbeat(details);
  };
  const started = Date.now();
  const timer = activity
    ? setInterval(() => beat({ waitingMs: Date.now() - started }), heartbeatIntervalMs(activity.info.heartbeatTimeoutMs))
    : undefined;
  try {
    if (sig.aborted) throw new CancelledFailure(`${what}: cancelled before the request (${reasonOf(sig)})`);
    return await fn({ signal: sig, heartbeat: beat, inActivity: activity !== undefined });
  } catch (err) {
    if (sig.aborted && !(err instanceof CancelledFailure)) {
      throw new CancelledFailure(
        `${what}: cancelled (${reasonOf(sig)}); the request was aborted`,
        undefined,
        err instanceof Error ? err : undefined,
      );
    }
    throw err;
  } finally {
    if (timer) clearInterval(timer);
  }
}

function reasonOf(signal: AbortSignal): string {
  const r: unknown = signal.reason;
  if (r instanceof Error) return r.message;
  return r === undefined ? 'aborted' : String(r);
}
