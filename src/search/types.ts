/**
 * The contract between a search strategy (pure, in this folder) and whatever drives it
 * (a Temporal workflow, a unit test, a benchmark loop). Everything here is plain,
 * serialisable data: a strategy's decisions are a pure function of its configuration,
 * its seed and the outcomes it has observed, so a workflow replays deterministically.
 *
 * Every caller drives a strategy with the one loop in ./driver.ts (runSearch): next() at the start
 * and after every observed outcome (it may return [] while outcomes are outstanding), each action
 * run as a play, each outcome observed as it arrives, until done(); then result().
 */

/** What a generation call does with its inputs. */
export type ActionKind =
  /** The agent answers the original prompt. */
  | 'fresh'
  /** The agent refines one earlier response (refine template: prompt + that response). */
  | 'refine'
  /** MoA: the agent sees several earlier responses in its system message (aggregation template). */
  | 'aggregate';

/** One generation the strategy wants made. Its id also names the response it will produce. */
export interface Action {
  /** Unique within one search, deterministic: `r0`, `r1`, ... in the order actions are issued. */
  id: string;
  /** Agent name, as in the configuration. */
  agent: string;
  kind: ActionKind;
  /** Response ids this generation reads: [] for fresh, [parent] for refine, the K inputs for aggregate. */
  inputs: string[];
}

/** Why a play failed: a failure type of src/common/failures.ts and its one-line message. */
export interface PlayFailure {
  type: string;
  message: string;
}

/** What happened when an action ran: generation + reward scoring. */
export interface ScoredOutcome {
  actionId: string;
  /** Raw reward from the reward model, scored against the original prompt. */
  reward: number;
  promptTokens: number;
  completionTokens: number;
  failed?: undefined;
}

/**
 * A play that failed in a way that concerns only its own content (a 400 for a refine prompt too
 * long for the model, an unparseable judge answer), when the sweep's `onPlayFailure` is
 * `continue`. It was issued and may have been paid, so it counts against the budget like any
 * play; it produced no response, so it is never an input, a parent or the best (docs/algorithm.md,
 * "Failed plays").
 */
export interface FailedOutcome {
  actionId: string;
  failed: PlayFailure;
  reward?: undefined;
}

export type Outcome = ScoredOutcome | FailedOutcome;

/** One response in a result, for every method. */
export interface ResponseRecord {
  /** Same as the action id that produced it. */
  id: string;
  agent: string;
  kind: ActionKind;
  inputs: string[];
  /**
   * Order of observation, 0-based, counted over every play: the n-th play observed. Without
   * failed plays that is the n-th response scored; failed plays take their places in the count.
   */
  order: number;
  reward: number;
  /** sigmoid(reward / tau) where the method uses it (TOA), else absent. */
  normalizedReward?: number;
  promptTokens: number;
  completionTokens: number;
}

/** A play that failed (see FailedOutcome): listed in `result.failedPlays`, never in `responses`. */
export interface FailedPlayRecord {
  /** The action id; no response carries it. */
  id: string;
  agent: string;
  kind: ActionKind;
  inputs: string[];
  /** Position in the order of observation, counted over every play (scored and failed). */
  order: number;
  error: PlayFailure;
}

/** A TOA tree node in the documented JSON form (see docs/result-format.md). */
export interface TreeNodeJson {
  id: string;
  type: 'root' | 'model' | 'response';
  /** Parent node id (absent for the root). */
  parent?: string;
  /** Model nodes: the agent and whether the action is fresh or refine. */
  agent?: string;
  kind?: ActionKind;
  /** Response nodes: the response id (== action id). */
  responseId?: string;
  visits: number;
  rewards: number[];
  value: number;
  /** Response layers from the root (root 0; a model node has the layer of the responses it makes). */
  layer?: number;
  /** Response nodes: raw reward and sigmoid(reward / tau). */
  reward?: number;
  normalizedReward?: number;
  /** Model nodes: ids of the plays of this node that failed (each backed up as normalised reward 0); absent when none. */
  failedPlays?: string[];
}

export interface TreeJson {
  nodes: TreeNodeJson[];
  /** [parentId, childId] pairs, insertion order. */
  edges: Array<[string, string]>;
}

/**
 * Best-so-far after each generation, for methods whose prefix equals a smaller-budget run. A
 * failed play counts as a generation and leaves the best as it was; there are no points before
 * the first scored response (there is no best yet), so a curve may start after generation 1.
 */
export interface AnytimePoint {
  generations: number;
  bestReward: number;
}

export interface SearchResult {
  method: string;
  budget: number;
  /** Every scored response, in observation order (failed plays are in `failedPlays`). */
  responses: ResponseRecord[];
  /** Plays that failed (onPlayFailure: continue), in observation order; absent when none did. */
  failedPlays?: FailedPlayRecord[];
  /** Id of the argmax raw-reward response (first in order on ties). */
  bestId: string;
  bestReward: number;
  tree?: TreeJson;
  /** Present only where a prefix of this run is a valid run at a smaller budget. */
  anytime?: AnytimePoint[];
}

export interface Strategy {
  /** True once every generation has been observed and no more will be proposed. */
  done(): boolean;
  /**
   * Actions to run now. Returns [] when the strategy must wait for outstanding outcomes.
   * Never proposes more than the budget in total.
   */
  next(): Action[];
  /** A scored or a failed outcome (a failed play is never read by a later action). */
  observe(outcome: Outcome): void;
  /** The run; throws EveryPlayFailedError (./result.ts) when no play was scored. */
  result(): SearchResult;
}

/** A seeded pseudo-random source; strategies never touch Math.random. */
export interface Prng {
  /** Uniform in [0, 1). */
  next(): number;
}
