/**
 * Result building shared by every strategy: response records, the best response (argmax raw
 * reward, first on ties) and anytime curves.
 */
import type { AnytimePoint, ResponseRecord, SearchResult, TreeJson } from './types';
import type { Ledger } from './ledger';

/** Response records in observation order (`order` = position in that order). */
export function responseRecords(ledger: Ledger, normalize?: (raw: number) => number): ResponseRecord[] {
  return ledger.observed.map((id, order) => {
    const outcome = ledger.outcomes[id]!;
    const action = ledger.actions[Number(id.slice(1))]!;
    const rec: ResponseRecord = {
      id,
      agent: action.agent,
      kind: action.kind,
      inputs: action.inputs.slice(),
      order,
      reward: outcome.reward,
      promptTokens: outcome.promptTokens,
      completionTokens: outcome.completionTokens,
    };
    if (normalize) rec.normalizedReward = normalize(outcome.reward);
    return rec;
  });
}

/** Index of the maximum (strictly greater wins, so the first maximum is kept); -1 when empty. */
export function argmaxIndex(values: readonly number[]): number {
  let best = -1;
  for (let i = 0; i < values.length; i++) {
    if (best < 0 || values[i]! > values[best]!) best = i;
  }
  return best;
}

/** The best of a list of responses by raw reward, first in list order on ties. */
export function best<T extends { id: string; reward: number }>(items: readonly T[]): T {
  const i = argmaxIndex(items.map((r) => r.reward));
  if (i < 0) throw new Error('no responses observed yet: there is no best response');
  return items[i]!;
}

/** Best-so-far after each of the given rewards (1-based generation counts). */
export function anytimeCurve(rewards: readonly number[]): AnytimePoint[] {
  const out: AnytimePoint[] = [];
  let bestReward = -Infinity;
  rewards.forEach((r, i) => {
    if (r > bestReward) bestReward = r;
    out.push({ generations: i + 1, bestReward });
  });
  return out;
}

/**
 * Rewards in *issue* order (not observation order), stopping at the first not yet observed:
 * strategies that issue in an order whose every prefix is a valid smaller-budget run use this
 * for their anytime curve, so the curve does not depend on which call happened to finish first.
 */
export function rewardsInIssueOrder(ledger: Ledger): number[] {
  const out: number[] = [];
  for (const a of ledger.actions) {
    const o = ledger.outcomes[a.id];
    if (!o) break;
    out.push(o.reward);
  }
  return out;
}

export interface ResultOptions {
  method: string;
  normalize?: (raw: number) => number;
  tree?: TreeJson;
  /** Attach an anytime curve built from rewards in issue order. */
  anytime?: boolean;
}

export function buildResult(ledger: Ledger, opts: ResultOptions): SearchResult {
  const responses = responseRecords(ledger, opts.normalize);
  const top = best(responses);
  const result: SearchResult = {
    method: opts.method,
    budget: ledger.budget,
    responses,
    bestId: top.id,
    bestReward: top.reward,
  };
  if (opts.tree) result.tree = opts.tree;
  if (opts.anytime) result.anytime = anytimeCurve(rewardsInIssueOrder(ledger));
  return result;
}
