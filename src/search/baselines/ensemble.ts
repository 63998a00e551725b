/**
 * Parallel ensemble (multi-agent best-of-N): each of the K agents samples N/K times, all
 * issued in one next() call. Issue order is round-robin over agents in configuration order
 * (a0, a1, ..., aK-1, a0, ...), so the first b actions are exactly a budget-b ensemble (when
 * K does not divide b, the first b mod K agents got one more sample: the uneven-budget rule).
 * That is what makes the anytime curve (built in issue order) valid.
 */
import type { Strategy } from '../types';
import { issue, remaining } from '../ledger';
import { ledgerStrategy } from './common';

export function createEnsembleStrategy(opts: { agents: string[]; budget: number; method?: string }): Strategy {
  return ledgerStrategy({
    method: opts.method ?? 'ensemble',
    budget: opts.budget,
    anytime: true,
    propose(ledger) {
      const actions = [];
      while (remaining(ledger) > 0) {
        const agent = opts.agents[ledger.actions.length % opts.agents.length]!;
        actions.push(issue(ledger, agent, 'fresh', []));
      }
      return actions;
    },
  });
}
