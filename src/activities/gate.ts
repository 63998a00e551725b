/**
 * A counting gate: at most `size` holders at once, FIFO, and a waiter leaves the queue when its
 * signal aborts (an activity cancelled while waiting). Hand-written because the common
 * semaphore packages either are ESM-only or cannot withdraw one waiter on abort.
 *
 * Why it exists: an agent's worker takes a few more activity tasks than the agent's
 * `maxConcurrency` and lets only `maxConcurrency` of them talk to the endpoint at once, so the
 * next request is ready the moment one finishes (its store reads done, its task already
 * fetched) instead of after a completion → poll → dispatch round trip through the server.
 */
export class Gate {
  private free: number;
  private readonly waiters: Array<{ grant: () => void }> = [];

  constructor(readonly size: number) {
    if (!Number.isInteger(size) || size < 1) throw new Error(`gate size must be a positive integer, got ${size}`);
    this.free = size;
  }

  /** Holders now. */
  get busy(): number {
    return this.size - this.free;
  }

  /** Resolves with a release function once a place is free; rejects with the signal's reason on abort. */
  acquire(signal?: AbortSignal): Promise<() => void> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (this.free > 0) {
      this.free--;
      return Promise.resolve(this.releaser());
    }
    return new Promise((resolve, reject) => {
      const waiter = {
        grant: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve(this.releaser());
        },
      };
      const onAbort = () => {
        const i = this.waiters.indexOf(waiter);
        if (i >= 0) this.waiters.splice(i, 1);
        reject(signal!.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }

  /** Runs `fn` holding a place. */
  async run<T>(fn: () => Promise<T>, signal?: AbortSignal): Promise<T> {
    const release = await this.acquire(signal);
    try {
      return await fn();
    } finally {
      release();
    }
  }

  private releaser(): () => void {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiters.shift();
      if (next) next.grant(); // the place passes straight to the next waiter
      else this.free++;
    };
  }
}
