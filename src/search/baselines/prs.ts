/**
 * PRS (single agent): floor(N/2) fresh samples (issued together), the best of them by raw
 * reward (first in issue order on ties), then N - floor(N/2) refinements of that best response
 * (issued together). The output pool holds both layers.
 *
 * N = 1 has no first layer to refine, so its single generation is fresh: the first layer has
 * max(1, floor(N/2)) samples, which only differs from floor(N/2) at N = 1.
 *
 * Failed plays (onPlayFailure: continue): the best is taken among the first layer's scored
 * responses; if every one of them failed, there is nothing to refine and the second phase
 * answers fresh.
 */
import type { Strategy } from '../types';
import { isObserved, isScored, issue, remaining, rewardOf } from '../ledger';
import { best } from '../result';
import { ledgerStrategy } from './common';

export function prsFirstLayer(budget: number): number {
  return Math.max(1, Math.floor(budget / 2));
}

export function createPrsStrategy(opts: { agent: string; budget: number; method?: string }): Strategy {
  const first = prsFirstLayer(opts.budget);
  return ledgerStrategy({
    method: opts.method ?? 'prs',
    budget: opts.budget,
    propose(ledger) {
      const actions = [];
      if (ledger.actions.length === 0) {
        for (let i = 0; i < first; i++) actions.push(issue(ledger, opts.agent, 'fresh', []));
        return actions;
      }
      const layer1 = ledger.actions.slice(0, first);
      if (ledger.actions.length > first || !layer1.every((a) => isObserved(ledger, a.id))) return [];
      const scored = layer1.filter((a) => isScored(ledger, a.id)).map((a) => ({ id: a.id, reward: rewardOf(ledger, a.id) }));
      const top = scored.length > 0 ? best(scored) : undefined;
      while (remaining(ledger) > 0)
        actions.push(top ? issue(ledger, opts.agent, 'refine', [top.id]) : issue(ledger, opts.agent, 'fresh', []));
      return actions;
    },
  });
}
