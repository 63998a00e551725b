/**
 * Result building shared by every strategy: response records, failed plays, the best response
 * (argmax raw reward over scored responses, first on ties) and anytime curves.
 */
import type { AnytimePoint, FailedPlayRecord, PlayFailure, ResponseRecord, SearchResult, TreeJson } from './types';
import type { Ledger } from './ledger';

/** Scored response records in observation order (`order` = position among every observed play). */
export function responseRecords(ledger: Ledger, normalize?: (raw: number) => number): ResponseRecord[] {
  const out: ResponseRecord[] = [];
  ledger.observed.forEach((id, order) => {
    const outcome = ledger.outcomes[id]!;
    if (outcome.failed) return;
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
    out.push(rec);
  });
  return out;
}

/** Failed plays in observation order (`order` counted like responses'). */
export function failedPlayRecords(ledger: Ledger): FailedPlayRecord[] {
  const out: FailedPlayRecord[] = [];
  ledger.observed.forEach((id, order) => {
    const outcome = ledger.outcomes[id]!;
    if (!outcome.failed) return;
    const action = ledger.actions[Number(id.slice(1))]!;
    out.push({ id, agent: action.agent, kind: action.kind, inputs: action.inputs.slice(), order, error: { ...outcome.failed } });
  });
  return out;
}

/**
 * No play of the search was scored, so there is no best response and no result: the prompt fails
 * with this (the workflow turns it into a failure of the most frequent type).
 */
export class EveryPlayFailedError extends Error {
  /** The most frequent failure type (the first seen on ties). */
  readonly type: string;
  constructor(readonly failures: PlayFailure[]) {
    const counts = new Map<string, number>();
    for (const f of failures) counts.set(f.type, (counts.get(f.type) ?? 0) + 1);
    const types = [...counts.entries()];
    const top = types.reduce((a, b) => (b[1] > a[1] ? b : a), types[0] ?? ['Error', 0]);
    super(
      `every play failed: ${types.map(([t, n]) => `${t} ×${n}`).join(', ')}${failures[0] ? ` (first: ${failures[0].message})` : ''}`,
    );
    this.name = 'EveryPlayFailedError';
    this.type = top[0];
  }
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

/**
 * Best-so-far after each generation (1-based counts). `null` is a failed play: it counts as a
 * generation and leaves the best unchanged; generations before the first reward have no point.
 */
export function anytimeCurve(rewards: ReadonlyArray<number | null>): AnytimePoint[] {
  const out: AnytimePoint[] = [];
  let bestReward = -Infinity;
  rewards.forEach((r, i) => {
    if (r !== null && r > bestReward) bestReward = r;
    if (bestReward > -Infinity) out.push({ generations: i + 1, bestReward });
  });
  return out;
}

/**
 * Rewards in *issue* order (not observation order), stopping at the first not yet observed
 * (`null` for a failed play): strategies that issue in an order whose every prefix is a valid
 * smaller-budget run use this for their anytime curve, so the curve does not depend on which
 * call happened to finish first.
 */
export function rewardsInIssueOrder(ledger: Ledger): Array<number | null> {
  const out: Array<number | null> = [];
  for (const a of ledger.actions) {
    const o = ledger.outcomes[a.id];
    if (!o) break;
    out.push(o.failed ? null : o.reward);
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

/** The result; throws EveryPlayFailedError when no play was scored. */
export function buildResult(ledger: Ledger, opts: ResultOptions): SearchResult {
  const responses = responseRecords(ledger, opts.normalize);
  const failedPlays = failedPlayRecords(ledger);
  if (responses.length === 0 && failedPlays.length > 0) throw new EveryPlayFailedError(failedPlays.map((f) => f.error));
  const top = best(responses);
  const result: SearchResult = {
    method: opts.method,
    budget: ledger.budget,
    responses,
    ...(failedPlays.length > 0 ? { failedPlays } : {}),
    bestId: top.id,
    bestReward: top.reward,
  };
  if (opts.tree) result.tree = opts.tree;
  if (opts.anytime) result.anytime = anytimeCurve(rewardsInIssueOrder(ledger));
  return result;
}
