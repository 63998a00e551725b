/**
 * Mixture-of-Agents: groups of L layers of K agents. In a group, layer 1 answers fresh; each
 * later layer 'aggregate's, every agent reading the K responses of the previous layer (in
 * configuration order). Groups repeat until N is spent; every layer's outputs are candidates
 * (no final aggregator). The last layer is truncated to the remaining budget: its first agents
 * in configuration order.
 *
 * A layer is issued as a whole (its agents run concurrently). Groups are independent, so they
 * run side by side: next() returns every layer whose previous layer (same group) is observed.
 *
 * Failed plays (onPlayFailure: continue): an aggregate layer reads the previous layer's scored
 * responses only (configuration order kept); if every one of them failed, the layer answers
 * fresh, and the group goes on from there.
 */
import type { Action, Strategy } from '../types';
import { isObserved, isScored, issue } from '../ledger';
import { chunkSizes, ledgerStrategy } from './common';

export function createMoaStrategy(opts: { agents: string[]; budget: number; layers: number; method?: string }): Strategy {
  if (!Number.isInteger(opts.layers) || opts.layers < 1)
    throw new Error(`MoA layers must be an integer >= 1, got ${opts.layers}`);
  const layerSizes = chunkSizes(opts.budget, opts.agents.length);
  const layerIds: string[][] = layerSizes.map(() => []);
  return ledgerStrategy({
    method: opts.method ?? 'moa',
    budget: opts.budget,
    propose(ledger) {
      const actions: Action[] = [];
      layerSizes.forEach((size, j) => {
        if (layerIds[j]!.length > 0) return;
        const firstOfGroup = j % opts.layers === 0;
        const previous = firstOfGroup ? [] : layerIds[j - 1]!;
        if (!firstOfGroup && (previous.length === 0 || !previous.every((id) => isObserved(ledger, id)))) return;
        const inputs = previous.filter((id) => isScored(ledger, id));
        for (const agent of opts.agents.slice(0, size)) {
          const action = inputs.length === 0 ? issue(ledger, agent, 'fresh', []) : issue(ledger, agent, 'aggregate', inputs);
          layerIds[j]!.push(action.id);
          actions.push(action);
        }
      });
      return actions;
    },
  });
}
