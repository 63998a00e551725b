/**
 * A search is a pure function of its configuration, seed and the interleaving of next() calls
 * and observed outcomes. Recording that interleaving (the trace) lets anyone rebuild the full
 * result and tree later, so workflow history only carries the small per-call facts.
 */
import type { Action, Outcome, SearchResult, Strategy } from './types';

/** 'n' = a next() call; any other entry = the id of the action whose outcome was observed. */
export type TraceStep = string;

export const NEXT: TraceStep = 'n';

/** Wraps a strategy so that every next() and observe() is appended to `trace`. */
export function tracing(strategy: Strategy, trace: TraceStep[]): Strategy {
  return {
    done: () => strategy.done(),
    next: () => {
      trace.push(NEXT);
      return strategy.next();
    },
    observe: (o: Outcome) => {
      trace.push(o.actionId);
      strategy.observe(o);
    },
    result: () => strategy.result(),
  };
}

/**
 * Replays a trace on a fresh strategy, asking `outcomeOf` for each observed action (in trace
 * order, so an action's inputs are always known before it); throws if the strategy proposes
 * something else than recorded.
 */
export async function replayTrace(
  strategy: Strategy,
  trace: TraceStep[],
  outcomeOf: (action: Action) => Outcome | Promise<Outcome>,
): Promise<SearchResult> {
  const issued = new Map<string, Action>();
  for (const step of trace) {
    if (step === NEXT) {
      for (const a of strategy.next()) issued.set(a.id, a);
      continue;
    }
    const action = issued.get(step);
    if (!action) throw new Error(`trace replay: ${step} observed before the strategy issued it`);
    strategy.observe(await outcomeOf(action));
  }
  if (!strategy.done()) throw new Error('trace replay: the strategy is not done at the end of the trace');
  return strategy.result();
}
