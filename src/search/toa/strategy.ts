/**
 * TOA as a Strategy: one play = select, expand (one generation), evaluate (the driver scores
 * it), back up. Faithful to the authors' code by default (parallelPlays = 1: strictly one play
 * at a time, next() returns [] while it is outstanding).
 *
 * DEVIATION (opt-in, parallelPlays = P > 1): up to P plays in flight at once. Each pending
 * play adds a virtual visit with reward 0 to every node on its selected path and occupies one
 * slot of its layer's width, so the next selection sees the tree as if that play had failed
 * and tends to pick something else. The virtual loss is removed when the outcome arrives and
 * the real back-up is applied. play_index counts plays *issued* so far. With P = 1 nothing is
 * ever pending at selection time, so the behaviour is exactly the faithful algorithm.
 */
import type { Action, Outcome, SearchResult, Strategy } from '../types';
import { complete, createLedger, inFlight, issue, record, remaining, type Ledger } from '../ledger';
import { buildResult } from '../result';
import { addVirtualLoss, backup, backupFailure, normalizeReward, removeVirtualLoss } from './backup';
import { select } from './select';
import { createTree, toTreeJson, type ToaTree } from './tree';

export type WidthRule = 'third' | 'half' | number;

export interface ToaOptions {
  agents: string[];
  budget: number;
  alpha: number;
  tau: number;
  width: WidthRule;
  /** Plays in flight at once (1 = faithful sequential search). */
  parallelPlays?: number;
  /** Label in the result (defaults to "toa"). */
  method?: string;
}

/** 'third' = floor(N/3) (the authors' default), 'half' = floor(N/2) (math), or a fixed number. */
export function resolveWidth(width: WidthRule, budget: number): number {
  if (width === 'third') return Math.floor(budget / 3);
  if (width === 'half') return Math.floor(budget / 2);
  if (!Number.isInteger(width) || width < 1)
    throw new Error(`TOA width must be "third", "half" or an integer >= 1, got ${String(width)}`);
  return width;
}

export interface ToaStrategy extends Strategy {
  /** The live tree (read-only use: tests and debugging). */
  tree(): ToaTree;
  readonly width: number;
}

interface PendingPlay {
  path: number[];
}

export function createToaStrategy(opts: ToaOptions): ToaStrategy {
  const parallel = opts.parallelPlays ?? 1;
  if (!Number.isInteger(parallel) || parallel < 1) throw new Error(`TOA parallelPlays must be an integer >= 1, got ${parallel}`);
  if (!(opts.tau > 0)) throw new Error(`TOA tau must be > 0, got ${opts.tau}`);
  if (!(opts.alpha >= 0)) throw new Error(`TOA alpha must be >= 0, got ${opts.alpha}`);
  if (opts.agents.length === 0) throw new Error('TOA needs at least one agent');
  const width = resolveWidth(opts.width, opts.budget);
  const ledger: Ledger = createLedger(opts.budget);
  const tree = createTree(opts.agents);
  const pending: Record<string, PendingPlay> = {};
  const normalize = (raw: number) => normalizeReward(raw, opts.tau);

  function play(): Action {
    // Plays made so far for this prompt: issued, which equals observed when P == 1.
    const path = select(tree, { width, alpha: opts.alpha, playIndex: ledger.actions.length });
    const model = tree.nodes[path[path.length - 1]!]!;
    const inputs = model.kind === 'refine' ? [tree.nodes[model.parent]!.id] : [];
    const action = issue(ledger, model.agent!, model.kind!, inputs);
    pending[action.id] = { path };
    if (parallel > 1) addVirtualLoss(tree, path);
    return action;
  }

  return {
    width,
    tree: () => tree,
    done: () => complete(ledger),
    next(): Action[] {
      const actions: Action[] = [];
      while (remaining(ledger) > 0 && inFlight(ledger) < parallel) actions.push(play());
      return actions;
    },
    observe(outcome: Outcome): void {
      const action = record(ledger, outcome);
      const { path } = pending[action.id]!;
      delete pending[action.id];
      if (parallel > 1) removeVirtualLoss(tree, path);
      const model = path[path.length - 1]!;
      if (outcome.failed) backupFailure(tree, model, action.id);
      else backup(tree, model, action.id, outcome.reward, normalize(outcome.reward));
    },
    result(): SearchResult {
      // With width 'third' or 'half' the width depends on N, so a prefix of a budget-N run is
      // not a budget-n run: each budget is its own run and there is no anytime curve. With a
      // fixed numeric width no decision depends on N, so every prefix (in issue order) is the
      // run a smaller budget would have made, and the curve is attached.
      return buildResult(ledger, {
        method: opts.method ?? 'toa',
        normalize,
        tree: toTreeJson(tree),
        anytime: typeof opts.width === 'number',
      });
    },
  };
}
