/**
 * The sweep's bookkeeping as plain data: carried across continue-as-new, returned by the
 * progress query, and updated by pure functions (no Temporal imports) so it is unit-testable.
 */
import type { AgentConfig, DatasetSpec, MethodSpec, RewardSpec } from '../config/schema';
import type { StoreSpec, TemplateRefs } from '../common/store';
import { emptyCompute, mergeCompute, type ComputeTotals } from '../common/compute';
import type { PromptSummary } from '../common/records';
import type { RetrySpec } from '../common/retry';
import type { JobKeyParts } from '../common/workflowIds';

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
}

export interface Job extends JobKeyParts {
  workflowId: string;
  /** First execution run ID of the running child, once started. */
  runId?: string;
  promptId: string;
  promptRef: string;
  referenceRef?: string;
}

export interface FailedJob extends Job {
  error: { type: string; message: string };
}

export interface CellStats {
  method: string;
  budget: number;
  done: number;
  sumBest: number;
  maxBest: number | null;
}

export interface SweepState {
  /** Next dataset cursor; null once the dataset has been read to the end. */
  cursor: number | null;
  queue: Job[];
  running: Record<string, Job>;
  failed: FailedJob[];
  done: number;
  /** Finished in an earlier run of this sweep (records found on disk): reused, not re-paid. */
  reused: number;
  failedTotal: number;
  promptsSeen: number;
  compute: ComputeTotals;
  cells: Record<string, CellStats>;
  errorsByType: Record<string, number>;
  datasetProblems: Array<{ line: number; message: string }>;
  datasetProblemCount: number;
  paused: boolean;
  cancelled: boolean;
  /** Run IDs of retried prompts' earlier runs, by workflow ID: their late reports are ignored. */
  retiredRuns: Record<string, string>;
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
}

/** Kept small so continue-as-new input stays far below payload limits. */
const MAX_FAILED_KEPT = 2000;
const MAX_PROBLEMS_KEPT = 100;

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
  };
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
  else state.done += 1;
  mergeCompute(state.compute, summary.compute);
  const cellKey = `${summary.method}|${summary.budget}`;
  const cell = (state.cells[cellKey] ??= { method: summary.method, budget: summary.budget, done: 0, sumBest: 0, maxBest: null });
  cell.done += 1;
  cell.sumBest += summary.bestReward;
  cell.maxBest = cell.maxBest === null ? summary.bestReward : Math.max(cell.maxBest, summary.bestReward);
}

export function recordFailure(state: SweepState, job: Job, error: { type: string; message: string }): void {
  state.failedTotal += 1;
  state.errorsByType[error.type] = (state.errorsByType[error.type] ?? 0) + 1;
  if (state.failed.length < MAX_FAILED_KEPT) state.failed.push({ ...job, error });
}

export function recordProblems(state: SweepState, problems: Array<{ line: number; message: string }>): void {
  state.datasetProblemCount += problems.length;
  for (const p of problems) if (state.datasetProblems.length < MAX_PROBLEMS_KEPT) state.datasetProblems.push(p);
}

/** Failed jobs go back to the queue; their failure counts are forgotten (they will be re-counted). */
export function requeueFailed(state: SweepState): number {
  const n = state.failed.length;
  for (const f of state.failed) {
    const { error, runId, ...job } = f;
    void error;
    if (runId) state.retiredRuns[f.workflowId] = runId;
    state.queue.push(job);
    state.errorsByType[f.error.type] = Math.max(0, (state.errorsByType[f.error.type] ?? 1) - 1);
  }
  state.failedTotal -= n;
  state.failed = [];
  return n;
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
    recentFailures: state.failed.slice(-20).map((f) => ({ workflowId: f.workflowId, promptId: f.promptId, error: f.error })),
    datasetProblems: state.datasetProblems,
    datasetProblemCount: state.datasetProblemCount,
  };
}
