/**
 * The bookkeeping every strategy shares: which generations were issued (with deterministic ids
 * r0, r1, ... in issue order), which outcomes came back and in what order, and the budget.
 * Strategies decide *what* to issue; the ledger makes sure the budget is never exceeded, ids
 * are unique, inputs refer to responses already observed (and scored: a failed play is never an
 * input), and outcomes are not duplicated.
 * Plain data, so it can be inspected or serialised as is.
 */
import type { Action, ActionKind, Outcome } from './types';

export interface Ledger {
  budget: number;
  /** Every action issued, in issue order (action i has id `r${i}`). */
  actions: Action[];
  /** Outcomes by action id. */
  outcomes: Record<string, Outcome>;
  /** Action ids in the order their outcomes were observed. */
  observed: string[];
}

export function createLedger(budget: number): Ledger {
  if (!Number.isInteger(budget) || budget < 1) throw new Error(`budget must be an integer >= 1, got ${budget}`);
  return { budget, actions: [], outcomes: {}, observed: [] };
}

export function remaining(ledger: Ledger): number {
  return ledger.budget - ledger.actions.length;
}

export function inFlight(ledger: Ledger): number {
  return ledger.actions.length - ledger.observed.length;
}

/** Every generation of the budget has been issued and observed. */
export function complete(ledger: Ledger): boolean {
  return ledger.observed.length === ledger.budget;
}

export function isObserved(ledger: Ledger, id: string): boolean {
  return ledger.outcomes[id] !== undefined;
}

/** Observed and failed: no response exists under this id. */
export function isFailed(ledger: Ledger, id: string): boolean {
  return ledger.outcomes[id]?.failed !== undefined;
}

/** Observed with a reward: a response that may be read, refined or chosen as the best. */
export function isScored(ledger: Ledger, id: string): boolean {
  return isObserved(ledger, id) && !isFailed(ledger, id);
}

/** The raw reward of a scored response (a strategy bug to ask for any other). */
export function rewardOf(ledger: Ledger, id: string): number {
  const o = ledger.outcomes[id];
  if (!o || o.failed) throw new Error(`strategy bug: ${id} has no reward (${o ? 'its play failed' : 'not observed'})`);
  return o.reward;
}

/** Scored response ids in observation order. */
export function scoredIds(ledger: Ledger): string[] {
  return ledger.observed.filter((id) => !ledger.outcomes[id]!.failed);
}

/**
 * Issue one generation. Throws (a bug in the calling strategy) on budget overrun, unknown inputs
 * or an input whose play failed (there is no response to read).
 */
export function issue(ledger: Ledger, agent: string, kind: ActionKind, inputs: string[]): Action {
  if (remaining(ledger) <= 0) throw new Error(`strategy bug: budget of ${ledger.budget} generations already issued`);
  for (const input of inputs) {
    if (!isObserved(ledger, input)) throw new Error(`strategy bug: input "${input}" has not been observed`);
    if (isFailed(ledger, input)) throw new Error(`strategy bug: input "${input}" is a failed play (it has no response)`);
  }
  const action: Action = { id: `r${ledger.actions.length}`, agent, kind, inputs: inputs.slice() };
  ledger.actions.push(action);
  return action;
}

/** The issued action an id names, or undefined. */
export function actionOf(ledger: Ledger, id: string): Action | undefined {
  const m = /^r(\d+)$/.exec(id);
  if (!m) return undefined;
  return ledger.actions[Number(m[1])];
}

/**
 * Record an outcome; returns the action it answers. Rejects unknown, duplicate or non-finite
 * outcomes, and failed ones without a failure type.
 */
export function record(ledger: Ledger, outcome: Outcome): Action {
  const action = actionOf(ledger, outcome.actionId);
  if (!action) throw new Error(`outcome for unknown action "${outcome.actionId}"`);
  if (isObserved(ledger, action.id)) throw new Error(`outcome for action "${action.id}" observed twice`);
  if (outcome.failed) {
    if (typeof outcome.failed.type !== 'string' || outcome.failed.type === '')
      throw new Error(`outcome for action "${action.id}" failed without a failure type`);
  } else if (!Number.isFinite(outcome.reward))
    throw new Error(`outcome for action "${action.id}" has a non-finite reward (${outcome.reward})`);
  ledger.outcomes[action.id] = { ...outcome };
  ledger.observed.push(action.id);
  return action;
}
