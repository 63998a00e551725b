/**
 * The sweep's bookkeeping as plain data: carried across continue-as-new, returned by the
 * progress query, and updated by pure functions (no Temporal imports) so it is unit-testable.
 */
import type { AgentConfig, DatasetSpec, MethodSpec, OnPlayFailure, RewardSpec } from '../config/schema';
import type { StoreSpec, TemplateRefs } from '../common/store';
import { emptyCompute, mergeCompute, type ComputeTotals } from '../common/compute';
import type { PromptSummary } from '../common/records';
import type { RetrySpec } from '../common/retry';
import type { JobKeyParts } from '../common/workflowIds';
import type { DatasetFingerprint, ReusePolicy } from '../common/reuse';
import type { DatasetCursor } from '../common/datasetCursor';
import type { ReusedTotals } from '../activities/types';

export { jobKey, promptWorkflowId, type JobKeyParts } from '../common/workflowIds';

/** Everything a sweep needs, resolved by the client (absolute paths, template refs, no secrets). */
export interface SweepPlan {
  name: string;
  dataset: DatasetSpec;
  agents: AgentConfig[];
  reward: RewardSpec;
  methods: MethodSpec[];
  budgets: number[];
  seeds: number[];
  store: StoreSpec;
  recordsDir: string;
  templates: TemplateRefs;
  maxRunningPrompts: number;
  retry?: RetrySpec;
  /** Dataset prompts read per paging activity. */
  pageSize?: number;
  /** History length that triggers continue-as-new (default 10,000 events; tests set it low). */
  continueAsNewAfterEvents?: number;
  /** The dataset file at start: paging fails (non-retryable, naming the file) if it changes under the sweep. */
  datasetFingerprint?: DatasetFingerprint;
  /** Which existing records are reused (absent in plans of earlier releases: any record of the job is). */
  reuse?: ReusePolicy;
  /** Plays of one prompt running at once (the sweep file's `maxPlaysInFlightPerPrompt`); unset: no cap. */
  maxPlaysInFlightPerPrompt?: number;
  /**
   * The circuit breaker (the sweep file's `pauseAfterFailuresInARow`): the sweep pauses itself,
   * with the reason, once this many prompts in a row failed with the same failure type. 0 or
   * unset: never.
   */
  pauseAfterFailuresInARow?: number;
  /**
   * What a play that fails for its own content does to its prompt (the sweep file's
   * `onPlayFailure`): `continue` records it as failed and goes on. Absent in plans of earlier
   * releases: the prompt fails, as it did then.
   */
  onPlayFailure?: OnPlayFailure;
  /**
   * How often the sweep asks Temporal about children it has no live handle on (started by an
   * earlier run, before a continue-as-new or by an earlier execution of the sweep), so one that
   * was terminated, or ended without reporting, frees its slot. Default 60 s.
   */
  reconcileEverySeconds?: number;
  /** Every failure, one JSON line each (default: `failures.jsonl` beside the records folder). */
  failuresFile?: string;
}

export interface Job extends JobKeyParts {
  workflowId: string;
  /** First execution run ID of the running child, once started. */
  runId?: string;
  promptId: string;
  promptRef: string;
  referenceRef?: string;
  /** A record exists but must be replaced (other inputs, or damaged): the child may reuse a closed workflow's ID. */
  rerun?: boolean;
}

export interface FailedJob extends Job {
  error: { type: string; message: string };
}

export interface RecentFailure {
  workflowId: string;
  promptId: string;
  error: { type: string; message: string };
}

/**
 * Where the sweep's failures file stands (every failure is appended to it, in batches): its
 * length as this sweep wrote it, and the part of it that a retry has asked for and that is not
 * queued yet ([retryFrom, retryTo), byte offsets).
 */
export interface FailuresFileState {
  bytes: number;
  lines: number;
  retryFrom: number;
  retryTo: number;
}

export interface CellStats {
  method: string;
  budget: number;
  done: number;
  sumBest: number;
  maxBest: number | null;
}

export interface SweepState {
  /**
   * Next dataset cursor; null once the dataset has been read to the end. A number is a byte
   * offset (0 at the start; a sweep of release 0.1 carries one over continue-as-new): the next
   * page accepts it and returns a full cursor.
   */
  cursor: DatasetCursor | number | null;
  queue: Job[];
  running: Record<string, Job>;
  /** Failures not yet appended to the failures file (a few: they are written in batches). */
  failed: FailedJob[];
  done: number;
  /** Finished in an earlier run of this sweep (records found on disk): reused, not re-paid. */
  reused: number;
  /** Failures since the last retry, in memory and in the file. */
  failedTotal: number;
  promptsSeen: number;
  compute: ComputeTotals;
  cells: Record<string, CellStats>;
  errorsByType: Record<string, number>;
  datasetProblems: Array<{ line: number; message: string }>;
  datasetProblemCount: number;
  paused: boolean;
  cancelled: boolean;
  /**
   * Run IDs of retried prompts' earlier runs, by workflow ID, while the retried job is queued or
   * running: their late reports are ignored. Dropped once the job is accounted for.
   */
  retiredRuns: Record<string, string>;
  /** The last failures, for progress (they stay here after being written to the file). */
  recentFailures: RecentFailure[];
  failuresFile: FailuresFileState;
  /** Failures of one type in a row (the circuit breaker's count); a success resets it. */
  failureStreak: { type: string; count: number } | null;
  /** Why the sweep paused itself (the circuit breaker); cleared by resume. */
  pauseReason: string | null;
  /** A retry was asked for (signal); the loop re-queues, between its own steps. */
  retryRequested: boolean;
  /**
   * Failed plays (onPlayFailure: continue) of the prompts this sweep ran to completion, in total
   * and by failure type (reused records not counted: their failed plays are in them).
   */
  failedPlays: number;
  failedPlaysByType: Record<string, number>;
}

export interface SweepProgress {
  sweepId: string;
  name: string;
  status: 'running' | 'paused' | 'cancelled' | 'completed' | 'completed_with_failures';
  jobsPerPrompt: number;
  promptsSeen: number;
  datasetDone: boolean;
  done: number;
  reused: number;
  running: number;
  queued: number;
  failed: number;
  compute: ComputeTotals;
  cells: CellStats[];
  errorsByType: Record<string, number>;
  recentFailures: Array<{ workflowId: string; promptId: string; error: { type: string; message: string } }>;
  datasetProblems: Array<{ line: number; message: string }>;
  datasetProblemCount: number;
  /** Set when the sweep paused itself (circuit breaker): why. */
  pauseReason?: string;
  /**
   * Plays that failed in prompts that completed anyway (onPlayFailure: continue), in total and by
   * failure type. Absent in the progress of sweeps run by earlier releases.
   */
  failedPlays?: number;
  failedPlaysByType?: Record<string, number>;
}

/**
 * Bounds that keep every continue-as-new input, activity input and activity result small
 * whatever the dataset size or the number of failures (Temporal's payload limit is 2 MB, and
 * histories are replayed often): see docs/reliability.md.
 */
export const LIMITS = {
  /** Failures held in memory before they are appended to the failures file. */
  failuresInMemory: 20,
  /** Never more in memory (only reached by runs that may not write the file: see sweep.ts). */
  failuresHeldAtMost: 2000,
  /** Failures appended per activity, and read back per activity on retry. */
  failuresPerActivity: 64,
  recentFailures: 20,
  /** Characters of a failure message kept in the sweep's state (the file keeps more). */
  messageChars: 500,
  fileMessageChars: 4000,
  problems: 100,
  problemChars: 300,
  /** Jobs queued by one dataset page: the page's prompt count is cut to fit. */
  queuedJobsPerPage: 64,
  /** Children described per reconciliation activity. */
  describedPerActivity: 32,
} as const;

export function initialState(): SweepState {
  return {
    cursor: 0,
    queue: [],
    running: {},
    failed: [],
    done: 0,
    reused: 0,
    failedTotal: 0,
    promptsSeen: 0,
    compute: emptyCompute(),
    cells: {},
    errorsByType: {},
    datasetProblems: [],
    datasetProblemCount: 0,
    paused: false,
    cancelled: false,
    retiredRuns: {},
    recentFailures: [],
    failuresFile: { bytes: 0, lines: 0, retryFrom: 0, retryTo: 0 },
    failureStreak: null,
    pauseReason: null,
    retryRequested: false,
    failedPlays: 0,
    failedPlaysByType: {},
  };
}

/**
 * The state a continue-as-new input carries, completed: executions of the previous release
 * carry neither the failures file nor the recent-failures list (and up to 2,000 failures in
 * memory, which the sweep then writes to the file in batches).
 */
export function restoreState(carried: Partial<SweepState> | undefined): SweepState {
  const s = { ...initialState(), ...carried } as SweepState;
  s.recentFailures ??= [];
  if (s.recentFailures.length === 0 && s.failed.length > 0) s.recentFailures = s.failed.slice(-LIMITS.recentFailures).map(recentOf);
  s.failuresFile ??= { bytes: 0, lines: 0, retryFrom: 0, retryTo: 0 };
  s.failureStreak ??= null;
  s.pauseReason ??= null;
  s.retryRequested ??= false;
  s.retiredRuns ??= {};
  s.failedPlays ??= 0;
  s.failedPlaysByType ??= {};
  return s;
}

/** Jobs per prompt of the plan, and the dataset prompts to page at once so a page queues at most LIMITS.queuedJobsPerPage jobs. */
export function pagePrompts(plan: Pick<SweepPlan, 'methods' | 'budgets' | 'seeds' | 'pageSize'>): number {
  const jobsPerPrompt = plan.methods.length * plan.budgets.length * plan.seeds.length;
  return Math.max(1, Math.min(plan.pageSize ?? 64, Math.floor(LIMITS.queuedJobsPerPage / jobsPerPrompt)));
}

export function allJobKeyParts(plan: Pick<SweepPlan, 'methods' | 'budgets' | 'seeds'>): JobKeyParts[] {
  const parts: JobKeyParts[] = [];
  plan.methods.forEach((_, methodIndex) => {
    for (const budget of plan.budgets) for (const seed of plan.seeds) parts.push({ methodIndex, budget, seed });
  });
  return parts;
}

export function recordSuccess(state: SweepState, summary: PromptSummary, reused: boolean): void {
  if (reused) state.reused += 1;
  else {
    state.done += 1;
    state.failureStreak = null;
    state.failedPlays += summary.failedPlays ?? 0;
    for (const [type, n] of Object.entries(summary.failedPlaysByType ?? {})) state.failedPlaysByType[type] = (state.failedPlaysByType[type] ?? 0) + n;
  }
  addToCell(state, summary.method, summary.budget, { count: 1, compute: summary.compute, sumBest: summary.bestReward, maxBest: summary.bestReward });
}

export function recordReused(state: SweepState, totals: ReusedTotals): void {
  state.reused += totals.count;
  mergeCompute(state.compute, totals.compute);
  for (const c of totals.cells) addToCell(state, c.method, c.budget, { count: c.count, sumBest: c.sumBest, maxBest: c.maxBest });
}

function addToCell(
  state: SweepState,
  method: string,
  budget: number,
  add: { count: number; compute?: ComputeTotals; sumBest: number; maxBest: number },
): void {
  if (add.compute) mergeCompute(state.compute, add.compute);
  const cell = (state.cells[`${method}|${budget}`] ??= { method, budget, done: 0, sumBest: 0, maxBest: null });
  cell.done += add.count;
  cell.sumBest += add.sumBest;
  cell.maxBest = cell.maxBest === null ? add.maxBest : Math.max(cell.maxBest, add.maxBest);
}

/**
 * Counts a failure and keeps it for the failures file. Returns the circuit breaker's reason when
 * this failure makes `threshold` failures of one type in a row (0: the breaker is off).
 */
export function recordFailure(state: SweepState, job: Job, error: { type: string; message: string }, threshold = 0): string | null {
  const kept = { type: error.type, message: clip(error.message, LIMITS.messageChars) };
  state.failedTotal += 1;
  state.errorsByType[error.type] = (state.errorsByType[error.type] ?? 0) + 1;
  const { runId, ...rest } = job;
  // The file takes them in batches; the cap only matters for runs of the previous release's code
  // path (no file), where it was the old limit.
  if (state.failed.length < LIMITS.failuresHeldAtMost) state.failed.push({ ...rest, ...(runId ? { runId } : {}), error: kept });
  state.recentFailures.push(recentOf({ ...job, error: kept }));
  if (state.recentFailures.length > LIMITS.recentFailures) state.recentFailures.splice(0, state.recentFailures.length - LIMITS.recentFailures);
  state.failureStreak = state.failureStreak?.type === error.type ? { type: error.type, count: state.failureStreak.count + 1 } : { type: error.type, count: 1 };
  if (threshold > 0 && state.failureStreak.count >= threshold && !state.paused) {
    return `paused by the circuit breaker: ${state.failureStreak.count} prompts in a row failed with ${error.type} (last: ${clip(error.message, 200)}); fix the cause, then \`toa sweep resume\` (and \`toa sweep retry\` to re-run the failed prompts)`;
  }
  return null;
}

export function recordProblems(state: SweepState, problems: Array<{ line: number; message: string }>): void {
  state.datasetProblemCount += problems.length;
  for (const p of problems) if (state.datasetProblems.length < LIMITS.problems) state.datasetProblems.push({ line: p.line, message: clip(p.message, LIMITS.problemChars) });
}

/** A job is accounted for (it finished or failed): its retired run no longer needs remembering. */
export function forgetRetired(state: SweepState, workflowId: string): void {
  delete state.retiredRuns[workflowId];
}

/**
 * Failed jobs go back to the queue: those in memory at once, those already in the failures file
 * by the part of the file the loop will read back ([retryFrom, retryTo)). Every failure is being
 * retried, so the failure counts start again from zero. Returns the jobs queued from memory.
 */
export function requeueFailed(state: SweepState): number {
  const n = state.failed.length;
  for (const f of state.failed) {
    const { error, runId, ...job } = f;
    void error;
    if (runId) state.retiredRuns[f.workflowId] = runId;
    state.queue.push(job);
  }
  state.failed = [];
  state.failuresFile.retryTo = state.failuresFile.bytes;
  state.failedTotal = 0;
  state.errorsByType = {};
  state.recentFailures = [];
  state.failureStreak = null;
  return n;
}

/** Jobs read back from the failures file for a retry: queued like the in-memory ones. */
export function requeueFromFile(state: SweepState, jobs: FailedJob[], next: number): void {
  for (const f of jobs) {
    const { error, runId, ...job } = f;
    void error;
    if (runId) state.retiredRuns[f.workflowId] = runId;
    state.queue.push(job);
  }
  state.failuresFile.retryFrom = next;
}

/** True while part of the failures file waits to be read back for a retry. */
export function retryPending(state: SweepState): boolean {
  return state.failuresFile.retryFrom < state.failuresFile.retryTo;
}

/** The failures to append to the file now (oldest first, one activity's worth), with their lines as written. */
export function failuresToWrite(state: SweepState, all: boolean): FailedJob[] {
  if (state.failed.length === 0 || (!all && state.failed.length < LIMITS.failuresInMemory)) return [];
  return state.failed.slice(0, LIMITS.failuresPerActivity);
}

/** The first `count` in-memory failures are in the file, which is now `bytes` long. */
export function failuresWritten(state: SweepState, count: number, bytes: number): void {
  state.failed.splice(0, count);
  state.failuresFile.bytes = bytes;
  state.failuresFile.lines += count;
}

function recentOf(f: FailedJob): RecentFailure {
  return { workflowId: f.workflowId, promptId: f.promptId, error: f.error };
}

function clip(text: string, chars: number): string {
  return text.length <= chars ? text : `${text.slice(0, chars - 1)}…`;
}

export function progressOf(sweepId: string, plan: SweepPlan, state: SweepState, finished: boolean): SweepProgress {
  const status: SweepProgress['status'] = state.cancelled
    ? 'cancelled'
    : finished
      ? state.failedTotal > 0
        ? 'completed_with_failures'
        : 'completed'
      : state.paused
        ? 'paused'
        : 'running';
  return {
    sweepId,
    name: plan.name,
    status,
    jobsPerPrompt: plan.methods.length * plan.budgets.length * plan.seeds.length,
    promptsSeen: state.promptsSeen,
    datasetDone: state.cursor === null,
    done: state.done,
    reused: state.reused,
    running: Object.keys(state.running).length,
    queued: state.queue.length,
    failed: state.failedTotal,
    compute: state.compute,
    cells: Object.values(state.cells),
    errorsByType: state.errorsByType,
    recentFailures: state.recentFailures,
    datasetProblems: state.datasetProblems,
    datasetProblemCount: state.datasetProblemCount,
    ...(state.pauseReason && state.paused ? { pauseReason: state.pauseReason } : {}),
    failedPlays: state.failedPlays,
    failedPlaysByType: state.failedPlaysByType,
  };
}
