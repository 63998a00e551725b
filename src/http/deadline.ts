/**
 * A per-request deadline joined to the caller's cancellation signal, whose timer is cleared as
 * soon as the request ends.
 *
 * Why not AbortSignal.timeout(): its timer stays pending until it fires (the agents' default
 * timeout is 600 s), and a pending timer keeps the AsyncLocalStorage stores of the code that
 * created it reachable (checked on Node 20), which inside an activity is the whole Activity
 * context. Clearing the timer when the request ends frees both at once.
 */
export interface Deadline {
  /** Aborts at the deadline (reason: a DOMException named "TimeoutError") or when the caller's signal does. */
  readonly signal: AbortSignal;
  /** True once the deadline (not the caller) aborted the signal. */
  readonly expired: boolean;
  /** Stops the timer; call when the request is over. */
  clear(): void;
}

export function startDeadline(timeoutMs: number, cancel?: AbortSignal): Deadline {
  const timer = new AbortController();
  const handle = setTimeout(
    () => timer.abort(new DOMException(`The operation was aborted due to timeout (${timeoutMs} ms)`, 'TimeoutError')),
    timeoutMs,
  );
  handle.unref();
  return {
    signal: cancel ? AbortSignal.any([timer.signal, cancel]) : timer.signal,
    get expired() {
      return timer.signal.aborted;
    },
    clear: () => clearTimeout(handle),
  };
}
