/**
 * A search is a pure function of its configuration, seed and the interleaving of next() calls
 * and observed outcomes. Recording that interleaving (the trace) lets anyone rebuild the full
 * result and tree later, so workflow history only carries the small per-call facts.
 */
import type { Outcome, SearchResult, Strategy } from './types';

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

/** Replays a trace on a fresh strategy; throws if the strategy proposes something else than recorded. */
export function replayTrace(strategy: Strategy, trace: TraceStep[], outcomes: Map<string, Outcome>): SearchResult {
  const issued = new Set<string>();
  for (const step of trace) {
    if (step === NEXT) {
      for (const a of strategy.next()) issued.add(a.id);
      continue;
    }
    const o = outcomes.get(step);
    if (!o) throw new Error(`trace replay: no outcome recorded for ${step}`);
    if (!issued.has(step)) throw new Error(`trace replay: ${step} observed before the strategy issued it`);
    strategy.observe(o);
  }
  if (!strategy.done()) throw new Error('trace replay: the strategy is not done at the end of the trace');
  return strategy.result();
}
