/**
 * AB-MCTS-A with several models (Inoue et al. 2025, "Wider or Deeper? Scaling LLM
 * Inference-Time Compute with Adaptive Branching Tree Search", arXiv 2503.04412), written from
 * the paper's description and checked against Sakana AI's TreeQuest (Apache-2.0;
 * `treequest/algos/ab_mcts_a/{algo,prob_state}.py`, model selection "multiarm_bandit_thompson",
 * its default). Rules, as implemented here:
 *
 * TREE. The root is the prompt; every other node is one response. Expanding the root with agent
 * a is a `fresh` answer of a; expanding response x with agent a is `a refine x`.
 *
 * SELECTION (one play). From the root, at each node that has children:
 *   1. GEN vs CONT: one Thompson draw from the node's GEN distribution and one from its CONT
 *      distribution (the paper's "node aggregation": all existing children behind one CONT arm).
 *      GEN wins ties. GEN: expand this node (step 3).
 *   2. CONT: one draw per existing child from that child's distribution; move to the highest
 *      (first child on ties) and repeat from 1.
 *   At a node without children, expand it.
 *   3. Which agent expands: one draw per agent from the prior updated with *every* score that
 *      agent has produced anywhere in the tree (multi-LLM AB-MCTS: a bandit over models shared
 *      by the whole tree); the highest draw, first in configuration order on ties. One agent: no
 *      draw.
 *
 * BACK-UP of a new response y (score s) made by agent a under node p:
 *   - y's own distribution starts with s;
 *   - a's global score list gets s;
 *   - p's GEN distribution gets s (the score of a new child of p);
 *   - for each ancestor c of y below the root, starting at p: the distribution of c (as a child
 *     of its parent) gets s, and so does its parent's CONT distribution.
 *   So GEN at a node learns from its direct children, CONT from deeper descendants, and each
 *   child's arm from itself and its subtree, as in TreeQuest.
 *
 * SCORES. AB-MCTS's models assume scores in [0, 1] (TreeQuest: "scores are expected to be
 * normalized to the [0, 1] range"). The stated rule here: score = clamp((raw − lo) / (hi − lo),
 * 0, 1) with `rewardRange` [lo, hi], default [0, 1]. Set it to the reward model's range (chrF:
 * [0, 100]). The best response is still the argmax of the raw reward, as for every method.
 *
 * FAILED PLAYS (onPlayFailure: continue; the authors of TOA score a failed reward as 0 and go
 * on): a failed play of agent a under node p scores 0, the bottom of [0, 1], everywhere the
 * back-up above would put its score (a's global list, p's GEN arm, the ancestors' arms and CONT
 * arms), but adds no node: there is no response to continue from.
 *
 * One play at a time (TreeQuest's `step`): next() returns [] while the play is outstanding and
 * draws nothing then, so the random stream (createPrng(seed)) is a pure function of the
 * observations: deterministic and replay-safe.
 *
 * DIFFERENCES from TreeQuest, none changing a decision's distribution: TreeQuest also updates
 * per-node action distributions that its "multiarm_bandit_thompson" selection never reads (not
 * kept here); at a node without children it still draws GEN vs CONT before forcing GEN (no draw
 * here); its random stream is numpy's, ours is mulberry32 (so decisions differ draw by draw,
 * distributions do not).
 */
import type { Action, Outcome, SearchResult, Strategy } from '../types';
import { complete, createLedger, inFlight, issue, record, remaining } from '../ledger';
import { createPrng } from '../prng';
import { buildResult } from '../result';
import { addScore, drawValue, emptyStats, type Prior, type ScoreStats } from './posterior';

export interface AbmctsOptions {
  agents: string[];
  budget: number;
  seed: number;
  prior: Prior;
  /** [lo, hi]: raw rewards are mapped linearly onto [0, 1] and clamped. */
  rewardRange: [number, number];
  method?: string;
}

export interface AbmctsNode {
  /** 'root' or the response id. */
  id: string;
  parent: number;
  children: number[];
  /** Agent that wrote the response (absent for the root). */
  agent?: string;
  /** Score in [0, 1] (absent for the root). */
  score?: number;
  /** This node's arm as a child of its parent: its own score and its subtree's. */
  self: ScoreStats;
  /** GEN arm: scores of this node's direct children. */
  gen: ScoreStats;
  /** CONT arm: scores of this node's deeper descendants. */
  cont: ScoreStats;
}

export interface AbmctsStrategy extends Strategy {
  /** Live tree (read-only use: tests). Index 0 is the root. */
  nodes(): readonly AbmctsNode[];
  /** Global per-agent score lists (read-only use: tests). */
  agentScores(): Readonly<Record<string, readonly number[]>>;
}

/** The stated reward rule: linear onto [0, 1] from [lo, hi], clamped. */
export function scoreOf(raw: number, [lo, hi]: readonly [number, number]): number {
  return Math.min(1, Math.max(0, (raw - lo) / (hi - lo)));
}

export function createAbmctsStrategy(opts: AbmctsOptions): AbmctsStrategy {
  if (opts.agents.length === 0) throw new Error('AB-MCTS needs at least one agent');
  const [lo, hi] = opts.rewardRange;
  if (!(Number.isFinite(lo) && Number.isFinite(hi) && hi > lo))
    throw new Error(`AB-MCTS rewardRange must be [lo, hi] with lo < hi, got [${lo}, ${hi}]`);
  if (opts.prior.dist === 'gaussian') {
    const p = opts.prior.prior;
    if (!(p.kappa > 0 && p.nu > 0 && p.tauSquare > 0 && Number.isFinite(p.m)))
      throw new Error(`AB-MCTS gaussian prior needs kappa, nu, tauSquare > 0 and a finite m, got ${JSON.stringify(p)}`);
  } else if (!(opts.prior.prior.a > 0 && opts.prior.prior.b > 0)) {
    throw new Error(`AB-MCTS beta prior needs a, b > 0, got ${JSON.stringify(opts.prior.prior)}`);
  }
  const prng = createPrng(opts.seed);
  const ledger = createLedger(opts.budget);
  const nodes: AbmctsNode[] = [
    { id: 'root', parent: -1, children: [], self: emptyStats(), gen: emptyStats(), cont: emptyStats() },
  ];
  const agentScores: Record<string, number[]> = Object.fromEntries(opts.agents.map((a) => [a, []]));
  const agentStats: Record<string, ScoreStats> = Object.fromEntries(opts.agents.map((a) => [a, emptyStats()]));
  /** Action id → the node it expands. */
  const expands: Record<string, number> = {};
  const draw = (stats: ScoreStats) => drawValue(opts.prior, stats, prng);

  function chooseAgent(): string {
    if (opts.agents.length === 1) return opts.agents[0]!;
    let best = opts.agents[0]!;
    let bestValue = -Infinity;
    for (const a of opts.agents) {
      const v = draw(agentStats[a]!);
      if (v > bestValue) {
        best = a;
        bestValue = v;
      }
    }
    return best;
  }

  /** The node to expand (selection steps 1–2). */
  function selectNode(): number {
    let current = 0;
    for (;;) {
      const node = nodes[current]!;
      if (node.children.length === 0) return current;
      const gen = draw(node.gen);
      const cont = draw(node.cont);
      if (gen >= cont) return current;
      let bestChild = node.children[0]!;
      let bestValue = -Infinity;
      for (const c of node.children) {
        const v = draw(nodes[c]!.self);
        if (v > bestValue) {
          bestChild = c;
          bestValue = v;
        }
      }
      current = bestChild;
    }
  }

  function play(): Action {
    const target = selectNode();
    const agent = chooseAgent();
    const action = target === 0 ? issue(ledger, agent, 'fresh', []) : issue(ledger, agent, 'refine', [nodes[target]!.id]);
    expands[action.id] = target;
    return action;
  }

  return {
    nodes: () => nodes,
    agentScores: () => agentScores,
    done: () => complete(ledger),
    next(): Action[] {
      if (remaining(ledger) === 0 || inFlight(ledger) > 0) return [];
      return [play()];
    },
    observe(outcome: Outcome): void {
      const action = record(ledger, outcome);
      const parent = expands[action.id]!;
      const s = outcome.failed ? 0 : scoreOf(outcome.reward, opts.rewardRange);
      if (!outcome.failed) {
        const self = emptyStats();
        addScore(self, s);
        const index = nodes.length;
        nodes.push({
          id: action.id,
          parent,
          children: [],
          agent: action.agent,
          score: s,
          self,
          gen: emptyStats(),
          cont: emptyStats(),
        });
        nodes[parent]!.children.push(index);
      }
      agentScores[action.agent]!.push(s);
      addScore(agentStats[action.agent]!, s);
      addScore(nodes[parent]!.gen, s);
      for (let c = parent; c > 0; c = nodes[c]!.parent) {
        addScore(nodes[c]!.self, s);
        addScore(nodes[nodes[c]!.parent]!.cont, s);
      }
    },
    result(): SearchResult {
      return buildResult(ledger, { method: opts.method ?? 'abmcts', normalize: (raw) => scoreOf(raw, opts.rewardRange) });
    },
  };
}
