/**
 * TOA+ — a search beyond the paper (this project; every rule below is a deviation from TOA).
 *
 * TOA's actions stay: each agent can answer fresh or refine a response; a third kind is added,
 * AGGREGATE (MoA-style): the agent synthesises the best responses so far, at most one per agent
 * (each agent's best, highest reward first, up to `aggregateInputs`), as an action of its own.
 * What changes is how the next action is chosen. TOA picks by UCT over mean normalised rewards
 * and caps each layer's width at N/3; TOA+ asks, for every candidate action, how much it is
 * expected to raise the best reward found so far, and takes the best. The share of fresh
 * samples versus refinements (the width) is therefore not fixed: it follows what refinement and
 * aggregation have actually paid off on this prompt.
 *
 * ONE STEP (one generation at a time). B = best raw reward so far, x = its response.
 *   Outcome models (Normal, unknown mean and variance, Normal-Inverse-χ² posterior, ./model.ts):
 *     fresh(a):      Y = a fresh reward of agent a;
 *     refine(a):     refines x: Y = B + D, D = a refinement gain of a (child − parent reward);
 *     aggregate(a):  (when ≥ 2 agents have responses) reads the inputs above:
 *                    Y = max input reward + G, G = an aggregation gain of a (child − best input).
 *   Score of a model = expected improvement E[max(0, Y − B)] (the method is judged by its best
 *   response, so a call with a lower mean but a fatter upper tail can be worth more).
 *   levels 'kind' (default): first the kind (fresh, refine, aggregate) whose model pooled over
 *   all agents scores highest, then the agent whose own model of that kind scores highest.
 *   Pooling the kind lets one failed refinement teach about all agents' refinements; the agent
 *   step still finds the one agent that refines well. levels 'agent': one choice over every
 *   (agent, kind) pair.
 *   explore 'mean' (default): the posterior mean and predictive spread; 'thompson': one
 *   posterior draw per model (from createPrng(seed)). Ties: the first in the order fresh,
 *   refine, aggregate, and agents in configuration order.
 *
 * WARM-UP. Until every agent (or, with `lead`, that one agent) has answered once, the step is
 * `fresh` from the next such agent in configuration order (TOA tries each root model node once
 * the same way): the priors' spread needs observations.
 *
 * PRIORS (raw reward scale, learnt from the observations: empirical Bayes, κ = 1, ν = 2):
 *   fresh:   m = mean of every fresh reward seen, τ² = their variance;
 *   gains:   m = mean of every gain of that kind seen (0 before one is: "as good as its input"),
 *            τ² = their variance, or the fresh variance before two are seen.
 *   τ² is floored at (1e-3 · (1 + spread of the rewards seen))², so identical rewards do not
 *   freeze the search. No normalisation to choose: the same rules on [0, 1] rewards and chrF.
 *
 * FAILED PLAYS (onPlayFailure: continue): a failed play counts as the lowest reward observed in
 * the prompt so far (its gain: that reward minus its best input's); a play that fails before any
 * play was scored gets the first reward observed, when it arrives. No failed play is ever an
 * input or the best. While nothing is scored, the step is `fresh` from the warm-up agent with
 * the fewest fresh plays (configuration order on ties).
 *
 * Deterministic: a pure function of the observations (and of the seed with 'thompson'); next()
 * decides only when it issues.
 */
import type { Action, Outcome, SearchResult, Strategy } from '../types';
import { complete, createLedger, inFlight, issue, record, remaining } from '../ledger';
import { createPrng } from '../prng';
import { buildResult } from '../result';
import { expectedImprovement } from '../sampling';
import { armMean, armVariance, drawNormal, emptyArm, meanNormal, mergeArms, observeArm, type Arm, type PriorNix } from './model';

export interface ToaPlusOptions {
  agents: string[];
  budget: number;
  seed: number;
  /** Aggregation actions on (default true; never with one agent). */
  aggregate?: boolean;
  /** Most inputs of an aggregation (default: the number of agents; at least 2). */
  aggregateInputs?: number;
  /** Refinement actions on (default true). */
  refine?: boolean;
  /** 'mean' (default): posterior mean and predictive spread; 'thompson': one posterior draw per model. */
  explore?: 'mean' | 'thompson';
  /** 'kind' (default): kind first (pooled over agents), then agent; 'agent': over every (agent, kind). */
  levels?: 'kind' | 'agent';
  /** Warm up with this agent only (e.g. the agent a single-agent baseline would be given). */
  lead?: string;
  method?: string;
}

export type ToaPlusKind = 'fresh' | 'refine' | 'aggregate';

export type AgentArms = Record<ToaPlusKind, Arm>;

export interface ToaPlusStrategy extends Strategy {
  /** Per-agent observations (read-only use: tests). */
  arms(): Readonly<Record<string, Readonly<AgentArms>>>;
}

const KINDS: ToaPlusKind[] = ['fresh', 'refine', 'aggregate'];

export function createToaPlusStrategy(opts: ToaPlusOptions): ToaPlusStrategy {
  if (opts.agents.length === 0) throw new Error('TOA+ needs at least one agent');
  if (opts.lead !== undefined && !opts.agents.includes(opts.lead))
    throw new Error(`TOA+ lead "${opts.lead}" is not one of the agents (${opts.agents.join(', ')})`);
  const maxInputs = opts.aggregateInputs ?? Math.max(2, opts.agents.length);
  if (!Number.isInteger(maxInputs) || maxInputs < 2)
    throw new Error(`TOA+ aggregateInputs must be an integer >= 2, got ${maxInputs}`);
  const kinds = KINDS.filter(
    (k) =>
      k === 'fresh' ||
      (k === 'refine' && opts.refine !== false) ||
      (k === 'aggregate' && opts.aggregate !== false && opts.agents.length >= 2),
  );
  const prng = createPrng(opts.seed);
  const ledger = createLedger(opts.budget);
  const arms: Record<string, AgentArms> = Object.fromEntries(
    opts.agents.map((a) => [a, { fresh: emptyArm(), refine: emptyArm(), aggregate: emptyArm() }]),
  );
  const rewards: Record<string, number> = {};
  const authors: Record<string, string> = {};
  /** Scored response ids, observation order. */
  const scored: string[] = [];
  /** Failed before any play was scored: they get the first reward observed. */
  const unvalued: Action[] = [];
  let lowest = Infinity;
  let highest = -Infinity;
  const warmUp = opts.lead !== undefined ? [opts.lead] : opts.agents;

  /** The best response so far: highest raw reward, first observed on ties. */
  function bestId(): string {
    let id = scored[0]!;
    for (const r of scored) if (rewards[r]! > rewards[id]!) id = r;
    return id;
  }

  /** Aggregation inputs: each agent's best response (first observed on ties), highest first (then issue order), at most maxInputs. */
  function aggregationInputs(): string[] {
    const perAgent = new Map<string, string>();
    for (const id of scored) {
      const cur = perAgent.get(authors[id]!);
      if (cur === undefined || rewards[id]! > rewards[cur]!) perAgent.set(authors[id]!, id);
    }
    return [...perAgent.values()]
      .sort((x, y) => rewards[y]! - rewards[x]! || Number(x.slice(1)) - Number(y.slice(1)))
      .slice(0, maxInputs);
  }

  function priors(): Record<ToaPlusKind, PriorNix> {
    const floor = (1e-3 * (1 + (highest - lowest))) ** 2;
    const fresh = mergeArms(opts.agents.map((a) => arms[a]!.fresh));
    const freshVar = Math.max(floor, armVariance(fresh));
    const gain = (kind: ToaPlusKind): PriorNix => {
      const pooled = mergeArms(opts.agents.map((a) => arms[a]![kind]));
      return { m: armMean(pooled), kappa: 1, nu: 2, tauSquare: Math.max(floor, pooled.n >= 2 ? armVariance(pooled) : freshVar) };
    };
    return {
      fresh: { m: armMean(fresh), kappa: 1, nu: 2, tauSquare: freshVar },
      refine: gain('refine'),
      aggregate: gain('aggregate'),
    };
  }

  function step(): Action {
    const unseen = warmUp.find((a) => !ledger.actions.some((x) => x.agent === a && x.kind === 'fresh'));
    if (unseen !== undefined) return issue(ledger, unseen, 'fresh', []);
    if (scored.length === 0) {
      const freshCount = (a: string) => ledger.actions.filter((x) => x.agent === a && x.kind === 'fresh').length;
      return issue(ledger, warmUp[argmax(warmUp.map((a) => -freshCount(a)))]!, 'fresh', []);
    }
    const prior = priors();
    const top = bestId();
    const B = rewards[top]!;
    const inputs = kinds.includes('aggregate') ? aggregationInputs() : [];
    const available = kinds.filter((k) => k !== 'aggregate' || inputs.length >= 2);
    const base: Record<ToaPlusKind, number> = { fresh: 0, refine: B, aggregate: inputs.length > 0 ? rewards[inputs[0]!]! : B };
    const score = (kind: ToaPlusKind, arm: Arm): number => {
      const d = opts.explore === 'thompson' ? drawNormal(prior[kind], arm, prng) : meanNormal(prior[kind], arm);
      return expectedImprovement(base[kind] + d.mean, d.sd, B);
    };
    let candidates = available;
    if ((opts.levels ?? 'kind') === 'kind') {
      const pooled = available.map((k) => score(k, mergeArms(opts.agents.map((a) => arms[a]![k]))));
      candidates = [available[argmax(pooled)]!];
    }
    const pairs = opts.agents.flatMap((agent) => candidates.map((kind) => ({ agent, kind })));
    const c = pairs[argmax(pairs.map((p) => score(p.kind, arms[p.agent]![p.kind])))]!;
    if (c.kind === 'fresh') return issue(ledger, c.agent, 'fresh', []);
    if (c.kind === 'refine') return issue(ledger, c.agent, 'refine', [top]);
    return issue(ledger, c.agent, 'aggregate', inputs);
  }

  return {
    arms: () => arms,
    done: () => complete(ledger),
    next(): Action[] {
      if (remaining(ledger) === 0 || inFlight(ledger) > 0) return [];
      return [step()];
    },
    observe(outcome: Outcome): void {
      const action = record(ledger, outcome);
      const base = action.inputs.length === 0 ? 0 : Math.max(...action.inputs.map((id) => rewards[id]!));
      if (outcome.failed) {
        // The floor: as bad as the worst response seen (inputs are scored responses, so a failed
        // refine or aggregate always comes after one; a failed fresh play may not).
        if (scored.length === 0) unvalued.push(action);
        else observeArm(arms[action.agent]![action.kind], lowest - base);
        return;
      }
      const r = outcome.reward;
      rewards[action.id] = r;
      authors[action.id] = action.agent;
      scored.push(action.id);
      lowest = Math.min(lowest, r);
      highest = Math.max(highest, r);
      observeArm(arms[action.agent]![action.kind], r - base);
      for (const failed of unvalued.splice(0)) observeArm(arms[failed.agent]![failed.kind], lowest);
    },
    result(): SearchResult {
      return buildResult(ledger, { method: opts.method ?? 'toa-plus' });
    },
  };
}

/** Index of the highest value, the first on ties. */
function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}
