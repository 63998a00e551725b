/**
 * A test driver for strategies: the same loop as the promptSearch workflow (ask next() after
 * every single outcome, since next() may return [] while outcomes are outstanding), against a
 * scripted reward function, checking the Strategy contract as it goes.
 */
import type { Action, SearchResult, Strategy } from '../../../src/search/types';

export interface DriveOptions {
  /** Raw reward of an action (by id, or computed). */
  reward: (action: Action) => number;
  /** Which outstanding action completes next (index into `outstanding`); default: the oldest. */
  pick?: (outstanding: readonly Action[]) => number;
  /** Safety net against a stalled strategy. */
  maxSteps?: number;
}

export interface DriveLog {
  /** Actions in issue order. */
  actions: Action[];
  /** Non-empty next() results, in call order. */
  batches: Action[][];
  /** Action ids in observation order. */
  observed: string[];
  result: SearchResult;
  /** Most actions outstanding at once. */
  maxInFlight: number;
}

export function drive(strategy: Strategy, budget: number, opts: DriveOptions): DriveLog {
  const actions: Action[] = [];
  const batches: Action[][] = [];
  const observed: string[] = [];
  const seen = new Set<string>();
  const done = new Set<string>();
  const outstanding: Action[] = [];
  const pick = opts.pick ?? (() => 0);
  const maxSteps = opts.maxSteps ?? 100_000;
  let maxInFlight = 0;
  for (let step = 0; !strategy.done(); step++) {
    if (step > maxSteps) throw new Error('drive: too many steps');
    const batch = strategy.next();
    if (actions.length + batch.length > budget) {
      throw new Error(`drive: next() proposed ${batch.length} actions with ${budget - actions.length} left in the budget`);
    }
    for (const a of batch) {
      if (seen.has(a.id)) throw new Error(`drive: duplicate action id ${a.id}`);
      for (const input of a.inputs) {
        if (!done.has(input)) throw new Error(`drive: ${a.id} reads ${input}, which has not been observed`);
      }
      seen.add(a.id);
      actions.push(a);
      outstanding.push(a);
    }
    if (batch.length > 0) batches.push(batch);
    maxInFlight = Math.max(maxInFlight, outstanding.length);
    if (outstanding.length === 0) throw new Error('drive: strategy proposed nothing and is not done');
    const [a] = outstanding.splice(pick(outstanding), 1) as [Action];
    strategy.observe({ actionId: a.id, reward: opts.reward(a), promptTokens: 10, completionTokens: 20 });
    done.add(a.id);
    observed.push(a.id);
  }
  if (strategy.next().length !== 0) throw new Error('drive: next() proposed actions after done()');
  return { actions, batches, observed, result: strategy.result(), maxInFlight };
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
