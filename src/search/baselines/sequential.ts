/**
 * Sequential refinement: ceil(N/K) rounds; each round has its own agent order, a seeded
 * shuffle of the configuration order (drawn for all rounds up front from the seed, round by
 * round). In a round the first agent answers fresh and each next agent refines the previous
 * agent's response. The last round is truncated to the remaining budget (its first agents in
 * its shuffled order).
 *
 * Rounds do not depend on each other, so they run side by side: next() returns the next step
 * of every round whose previous step has been observed. The responses are the same as running
 * rounds one after the other; only wall-clock time differs.
 *
 * Failed plays (onPlayFailure: continue): when a round's previous step failed, the next agent
 * of the round answers fresh, starting the chain again. Refining an earlier response of the
 * round instead would most likely fail the same way: the failures a prompt survives concern a
 * play's content (e.g. a refine prompt too long for the model), and that input is part of it.
 */
import type { Action, Strategy } from '../types';
import { isFailed, isObserved, issue } from '../ledger';
import { createPrng, shuffle } from '../prng';
import { chunkSizes, ledgerStrategy } from './common';

/** Each round's agent order (already truncated for the last round). */
export function sequentialRounds(agents: string[], budget: number, seed: number): string[][] {
  const prng = createPrng(seed);
  return chunkSizes(budget, agents.length).map((size) => shuffle(agents, prng).slice(0, size));
}

export function createSequentialStrategy(opts: { agents: string[]; budget: number; seed: number; method?: string }): Strategy {
  const rounds = sequentialRounds(opts.agents, opts.budget, opts.seed);
  const issued: string[][] = rounds.map(() => []);
  return ledgerStrategy({
    method: opts.method ?? 'sequential',
    budget: opts.budget,
    propose(ledger) {
      const actions: Action[] = [];
      rounds.forEach((order, r) => {
        const ids = issued[r]!;
        if (ids.length >= order.length) return;
        const previous = ids[ids.length - 1];
        if (previous !== undefined && !isObserved(ledger, previous)) return;
        const agent = order[ids.length]!;
        const action =
          previous === undefined || isFailed(ledger, previous)
            ? issue(ledger, agent, 'fresh', [])
            : issue(ledger, agent, 'refine', [previous]);
        ids.push(action.id);
        actions.push(action);
      });
      return actions;
    },
  });
}
