/**
 * The bookkeeping every strategy shares: which generations were issued (with deterministic ids
 * r0, r1, ... in issue order), which outcomes came back and in what order, and the budget.
 * Strategies decide *what* to issue; the ledger makes sure the budget is never exceeded, ids
 * are unique, inputs refer to responses already observed, and outcomes are not duplicated.
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

/** Issue one generation. Throws (a bug in the calling strategy) on budget overrun or unknown inputs. */
export function issue(ledger: Ledger, agent: string, kind: ActionKind, inputs: string[]): Action {
  if (remaining(ledger) <= 0) throw new Error(`strategy bug: budget of ${ledger.budget} generations already issued`);
  for (const input of inputs) {
    if (!isObserved(ledger, input)) throw new Error(`strategy bug: input "${input}" has not been observed`);
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

/** Record an outcome; returns the action it answers. Rejects unknown, duplicate or non-finite outcomes. */
export function record(ledger: Ledger, outcome: Outcome): Action {
  const action = actionOf(ledger, outcome.actionId);
  if (!action) throw new Error(`outcome for unknown action "${outcome.actionId}"`);
  if (isObserved(ledger, action.id)) throw new Error(`outcome for action "${action.id}" observed twice`);
  if (!Number.isFinite(outcome.reward))
    throw new Error(`outcome for action "${action.id}" has a non-finite reward (${outcome.reward})`);
  ledger.outcomes[action.id] = { ...outcome };
  ledger.observed.push(action.id);
  return action;
}
