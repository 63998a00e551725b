/**
 * The shape every baseline shares: a `propose` function that, given the ledger (what was
 * issued and what came back), issues the generations that can run now. Everything it returns
 * in one call is independent, so the driver runs it concurrently.
 *
 * UNEVEN BUDGETS (one rule for every baseline): the budget is spent in the method's natural
 * units (rounds, layers, samples per agent) in its normal order; the last unit is truncated to
 * the budget that remains, keeping its first actions in that unit's order (configuration order
 * of agents, or the round's shuffled order for sequential refinement). The total is exactly N.
 */
import type { Action, Outcome, SearchResult, Strategy } from '../types';
import { complete, createLedger, record, type Ledger } from '../ledger';
import { buildResult } from '../result';

export interface LedgerStrategyOptions {
  method: string;
  budget: number;
  /** Issue (via `issue(ledger, ...)`) every action that can run now and return them. */
  propose: (ledger: Ledger) => Action[];
  /** Attach the anytime curve (only where every issue-order prefix is a valid smaller run). */
  anytime?: boolean;
}

export function ledgerStrategy(opts: LedgerStrategyOptions): Strategy {
  const ledger = createLedger(opts.budget);
  return {
    done: () => complete(ledger),
    next: () => opts.propose(ledger),
    observe(outcome: Outcome): void {
      record(ledger, outcome);
    },
    result(): SearchResult {
      return buildResult(ledger, { method: opts.method, anytime: opts.anytime === true });
    },
  };
}

/** Split `total` into chunks of `size`, the last one truncated: chunkSizes(7, 3) = [3, 3, 1]. */
export function chunkSizes(total: number, size: number): number[] {
  const out: number[] = [];
  for (let left = total; left > 0; left -= size) out.push(Math.min(size, left));
  return out;
}
