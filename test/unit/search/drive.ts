/**
 * A test driver for strategies: the project's one driver loop (runSearch, src/search/driver.ts)
 * against a scripted reward function, with the completion order chosen by the test, checking the
 * Strategy contract as it goes.
 */
import { runSearch } from '../../../src/search/driver';
import type { Action, Outcome, SearchResult, Strategy } from '../../../src/search/types';

export interface DriveOptions {
  /** Raw reward of an action (by id, or computed). */
  reward: (action: Action) => number;
  /**
   * The failure type of an action whose play fails (onPlayFailure: continue), or undefined when it
   * is scored. A failed play is observed as a failed outcome; `reward` is not asked for it.
   */
  fail?: (action: Action) => string | undefined;
  /** Which outstanding action completes next (index into `outstanding`, issue order); default: the oldest. */
  pick?: (outstanding: readonly Action[]) => number;
  /** Safety net against a stalled strategy. */
  maxSteps?: number;
  /** The driver's cap on plays in flight (runSearch's `maxInFlight`). */
  maxInFlight?: number;
}

export interface DriveLog {
  /** Actions in issue order. */
  actions: Action[];
  /** Non-empty next() results, in call order. */
  batches: Action[][];
  /** Action ids in observation order. */
  observed: string[];
  /** Ids of the failed plays, observation order. */
  failed: string[];
  result: SearchResult;
  /** Most actions outstanding at once. */
  maxInFlight: number;
  /** The driver's trace (for replaySearch). */
  trace: string[];
}

export async function drive(strategy: Strategy, budget: number, opts: DriveOptions): Promise<DriveLog> {
  const actions: Action[] = [];
  const batches: Action[][] = [];
  const observed: string[] = [];
  const byId = new Map<string, Action>();
  const done = new Set<string>();
  const failed: string[] = [];
  const pick = opts.pick ?? (() => 0);
  const maxSteps = opts.maxSteps ?? 100_000;
  let maxInFlight = 0;
  let steps = 0;
  const checked: Strategy = {
    done: () => strategy.done(),
    next() {
      const batch = strategy.next();
      if (actions.length + batch.length > budget) {
        throw new Error(`drive: next() proposed ${batch.length} actions with ${budget - actions.length} left in the budget`);
      }
      for (const a of batch) {
        if (byId.has(a.id)) throw new Error(`drive: duplicate action id ${a.id}`);
        for (const input of a.inputs) {
          if (!done.has(input)) throw new Error(`drive: ${a.id} reads ${input}, which has not been observed`);
          if (failed.includes(input)) throw new Error(`drive: ${a.id} reads ${input}, a failed play`);
        }
        byId.set(a.id, a);
        actions.push(a);
      }
      if (batch.length > 0) batches.push(batch);
      return batch;
    },
    observe(o) {
      strategy.observe(o);
      done.add(o.actionId);
      observed.push(o.actionId);
      if (o.failed) failed.push(o.actionId);
    },
    result: () => strategy.result(),
  };
  // Plays complete when this driver says so: one at a time, in the order `pick` chooses among
  // the outstanding ones, each after the search has fully reacted to the previous one.
  const pending: Array<{ action: Action; settle: () => void }> = [];
  let finished = false;
  const running = runSearch(
    checked,
    (a) =>
      new Promise((resolve) => {
        pending.push({ action: a, settle: () => resolve(scriptedOutcome(a, opts)) });
      }),
    { maxInFlight: opts.maxInFlight },
  ).finally(() => (finished = true));
  running.catch(() => undefined);
  const settled = () => new Promise<void>((r) => setImmediate(r)); // every microtask of the search has run
  for (await settled(); !finished; await settled()) {
    if (++steps > maxSteps) throw new Error('drive: too many steps');
    if (pending.length === 0) break; // the search is stuck or failed: `running` says which
    maxInFlight = Math.max(maxInFlight, pending.length);
    const [next] = pending.splice(pick(pending.map((p) => p.action)), 1);
    next!.settle();
  }
  const { result, trace } = await running;
  if (strategy.next().length !== 0) throw new Error('drive: next() proposed actions after done()');
  return { actions, batches, observed, failed, result, maxInFlight, trace };
}

/** The outcome `drive` observes for an action (also what a replay of its trace must be given). */
export function scriptedOutcome(a: Action, opts: Pick<DriveOptions, 'reward' | 'fail'>): Outcome {
  const type = opts.fail?.(a);
  if (type !== undefined) return { actionId: a.id, failed: { type, message: `${a.id} failed (scripted)` } };
  return { actionId: a.id, reward: opts.reward(a), promptTokens: 10, completionTokens: 20 };
}

/** Fails the scripted action ids with the given type (BadRequest by default). */
export function failing(ids: string[], type = 'BadRequest'): (a: Action) => string | undefined {
  return (a) => (ids.includes(a.id) ? type : undefined);
}

/** Rewards scripted by action id (r0, r1, ...); unscripted ids throw, so a test says everything. */
export function scripted(rewards: Record<string, number> | number[]): (a: Action) => number {
  return (a) => {
    const r = Array.isArray(rewards) ? rewards[Number(a.id.slice(1))] : rewards[a.id];
    if (r === undefined) throw new Error(`no scripted reward for ${a.id}`);
    return r;
  };
}

/** Compact rendering of an action for exact sequence assertions: "r3 A refine r0". */
export function show(a: Action): string {
  return [a.id, a.agent, a.kind, ...a.inputs].join(' ');
}
