/**
 * Random sampling (single-agent best-of-N): N fresh samples from one agent, all issued at
 * once. Any prefix is a best-of-n run, hence the anytime curve.
 */
import type { Strategy } from '../types';
import { issue, remaining } from '../ledger';
import { ledgerStrategy } from './common';

export function createRandomStrategy(opts: { agent: string; budget: number; method?: string }): Strategy {
  return ledgerStrategy({
    method: opts.method ?? 'random',
    budget: opts.budget,
    anytime: true,
    propose(ledger) {
      const actions = [];
      while (remaining(ledger) > 0) actions.push(issue(ledger, opts.agent, 'fresh', []));
      return actions;
    },
  });
}
