/**
 * THE driver loop of a search: `next() → play → observe()`, the same in the promptSearch
 * workflow, the in-process benchmark, the unit tests and the record writer's replay.
 *
 * A search is a pure function of its configuration, seed and the interleaving of next() calls
 * and observed outcomes. The driver records that interleaving (the trace), so the full result and
 * tree can be rebuilt later from small per-play facts (`replaySearch`): workflow history never
 * carries the tree.
 *
 * Workflow-safe: only promises, no timers, no I/O. Waiting (pause) and running plays are the
 * caller's, through `runPlay` and the hooks.
 */
import type { Action, Outcome, SearchResult, Strategy } from './types';

/** 'n' = a next() call; any other entry = the id of the action whose outcome was observed. */
export type TraceStep = string;
export const NEXT: TraceStep = 'n';

export interface DriverHooks {
  /** True while no new play may start (paused). Plays in flight still complete and are observed. */
  held?(): boolean;
  /** Called when held with nothing in flight; resolves when plays may start again. */
  waitWhileHeld?(): Promise<void>;
  /** After each observed outcome and the plays it let start (progress, best so far). */
  onOutcome?(action: Action, outcome: Outcome): void;
  /**
   * When the loop wakes after one or more plays completed (all outcomes that arrived together
   * are observed by then): the place for bookkeeping that costs something, such as a workflow's
   * search attribute upsert (one per wake, not one per play).
   */
  afterWake?(): void;
  /**
   * Most plays running at once. Actions the strategy issued beyond it wait here, in issue order,
   * and start as plays complete (so a pause holds everything not yet started, and an ensemble
   * does not pay for all N plays at once). The trace records next() and observe() as always, so
   * replaySearch is unaffected. Unset: every issued action starts at once.
   */
  maxInFlight?: number;
}

export interface SearchRun {
  result: SearchResult;
  trace: TraceStep[];
}

/**
 * A strategy with its trace: the two steps every driver performs, recorded. `launch` is the only
 * place next() is called and `observe` the only place outcomes reach the strategy, so the trace
 * is exact by construction.
 */
export class TracedSearch {
  readonly trace: TraceStep[] = [];
  private readonly issued = new Map<string, Action>();

  constructor(readonly strategy: Strategy) {}

  done(): boolean {
    return this.strategy.done();
  }

  /** Actions to run now (recorded as one 'n' step, even when empty). */
  launch(): Action[] {
    this.trace.push(NEXT);
    const actions = this.strategy.next();
    for (const a of actions) this.issued.set(a.id, a);
    return actions;
  }

  observe(outcome: Outcome): Action {
    const action = this.issued.get(outcome.actionId);
    if (!action) throw new Error(`driver: outcome for ${outcome.actionId}, which the strategy has not issued`);
    this.trace.push(outcome.actionId);
    this.strategy.observe(outcome);
    return action;
  }

  /** The action an id names, once issued (replay asks for outcomes by action). */
  action(id: string): Action | undefined {
    return this.issued.get(id);
  }

  result(): SearchResult {
    return this.strategy.result();
  }
}

/**
 * Runs a search to the end. New plays start at the beginning, as soon as an outcome is observed
 * (in the continuation of the play that produced it) and when the hold is lifted. A play that
 * fails stops new plays from starting, lets the plays in flight settle (their cost is then
 * known), and rethrows the first failure.
 */
export async function runSearch(
  strategy: Strategy,
  runPlay: (action: Action) => Promise<Outcome>,
  hooks: DriverHooks = {},
): Promise<SearchRun> {
  const search = new TracedSearch(strategy);
  let inFlight = 0;
  /** Issued by the strategy, not started yet (beyond maxInFlight, or held). */
  const waiting: Action[] = [];
  const cap = Math.max(1, hooks.maxInFlight ?? Infinity);
  /** Plays that failed, first first; the loop stops the search at the first. */
  const errors: unknown[] = [];
  let failed = false;
  /**
   * The loop's current wait. Each settled play wakes it; one promise per wake-up rather than a
   * Promise.race over every play in flight: in a workflow every promise is tracked (the SDK keeps
   * a stack trace of each for the stack-trace query), so racing N plays cost N promises per wake.
   */
  let wake: (() => void) | undefined;
  const wakeUp = (): void => {
    const w = wake;
    wake = undefined;
    w?.();
  };
  const sleep = () => new Promise<void>((resolve) => (wake = resolve));

  const start = (action: Action): void => {
    inFlight += 1;
    runPlay(action).then(
      (outcome) => {
        inFlight -= 1;
        if (!failed) {
          search.observe(outcome);
          launch();
          hooks.onOutcome?.(action, outcome);
        }
        wakeUp();
      },
      (error: unknown) => {
        inFlight -= 1;
        errors.push(error);
        wakeUp();
      },
    );
  };

  /** Starts waiting actions while there is room and no hold. */
  const pump = (): void => {
    while (!failed && waiting.length > 0 && inFlight < cap && !hooks.held?.()) start(waiting.shift()!);
  };

  const launch = (): void => {
    if (failed || search.done() || hooks.held?.()) return;
    waiting.push(...search.launch());
    pump();
  };

  launch();
  while (!search.done()) {
    if (errors.length === 0 && inFlight === 0) {
      if (waiting.length === 0 && !hooks.held?.()) throw new Error('driver: the strategy proposed no action while not done (a bug in the strategy)');
      if (hooks.held?.()) await hooks.waitWhileHeld?.();
      pump();
      launch();
      continue;
    }
    if (errors.length === 0) await sleep();
    if (errors.length > 0) {
      // Stop starting plays, let those in flight settle (their cost is then known), fail.
      failed = true;
      while (inFlight > 0) await sleep();
      throw errors[0];
    }
    hooks.afterWake?.();
  }
  return { result: search.result(), trace: search.trace };
}

/**
 * Rebuilds a search from its trace, asking `outcomeOf` for each observed action (in trace order,
 * so an action's inputs are always known before it). Throws if the strategy proposes something
 * else than the trace records or is not done at its end.
 */
export async function replaySearch(
  strategy: Strategy,
  trace: readonly TraceStep[],
  outcomeOf: (action: Action) => Outcome | Promise<Outcome>,
): Promise<SearchResult> {
  const search = new TracedSearch(strategy);
  for (const step of trace) {
    if (step === NEXT) {
      search.launch();
      continue;
    }
    const action = search.action(step);
    if (!action) throw new Error(`trace replay: ${step} observed before the strategy issued it`);
    search.observe(await outcomeOf(action));
  }
  if (!search.done()) throw new Error('trace replay: the strategy is not done at the end of the trace');
  return search.result();
}
