/**
 * sweep: fans a dataset out into promptSearch children, one per (method, budget, seed, prompt),
 * with a sliding window of running children. Children are abandoned on continue-as-new and
 * report back by signal (the batch-sliding-window pattern), so the sweep's own history stays
 * small however many prompts it runs. Finished prompts are found by their records on disk,
 * so re-running a sweep (`toa sweep retry`) re-pays nothing that finished.
 *
 * A child this run has no live handle on (started before a continue-as-new, or by an earlier
 * execution of the sweep) may end without its report arriving (terminated; or it finished
 * while its job sat in the queue, so starting it again says "already started"): the sweep asks
 * Temporal about such children when that happens and every `reconcileEverySeconds`, so no slot
 * of the window is held forever. Failures go to a file in batches (the state keeps a few), so
 * every workflow input and activity result stays small; a retry reads the file back.
 */
import {
  allHandlersFinished,
  CancellationScope,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  isCancellation,
  ParentClosePolicy,
  patched,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  startChild,
  upsertSearchAttributes,
  workflowInfo,
  WorkflowIdReusePolicy,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { MainQueueActivities } from '../activities';
import { MAIN_TASK_QUEUE } from '../common/taskQueues';
import { promptSearch, pauseSignal, resumeSignal, type PromptSearchInput } from './promptSearch';
import {
  childDoneSignal,
  sweepCancelSignal,
  sweepPauseSignal,
  sweepProgressQuery,
  sweepResumeSignal,
  sweepRetrySignal,
  type ChildDone,
} from './signals';
import {
  allJobKeyParts,
  failuresToWrite,
  failuresWritten,
  forgetRetired,
  jobKey,
  LIMITS,
  pagePrompts,
  progressOf,
  promptWorkflowId,
  recordFailure,
  recordProblems,
  recordReused,
  recordSuccess,
  requeueFailed,
  requeueFromFile,
  restoreState,
  retryPending,
  type Job,
  type SweepPlan,
  type SweepProgress,
  type SweepState,
} from './sweepState';
import { searchAttributeUpdates } from '../common/searchAttributes';
import { failureOf } from '../common/failures';
import { methodLabelOf } from '../search/methods';

export interface SweepInput {
  sweepId: string;
  plan: SweepPlan;
  /** Present after continue-as-new (executions of the previous release carry fewer fields). */
  state?: Partial<SweepState>;
}

/**
 * Patch history (see promptSearch.ts for the lifecycle). Each guards commands that the previous
 * release did not issue, so its running sweeps replay and then take the new path:
 * - 'sweep-reconcile-children': the `describePromptWorkflows` activity (on "already started",
 *   and on a timer while some running child has no live handle in this run) accounts for
 *   children that ended without a report that arrived.
 * - 'sweep-failures-file': failures are appended to the failures file in batches
 *   (`appendFailures`) instead of piling up in the continue-as-new input.
 * - 'sweep-cancel-children': a cancelled sweep (Temporal UI, `temporal workflow cancel`)
 *   cancels every child it counts as running before it closes.
 * The circuit breaker, the per-prompt cap on plays and the page totals need no patch: they
 * follow from plan fields and activity options that earlier executions do not have.
 */
export const SWEEP_RECONCILE_CHILDREN = 'sweep-reconcile-children';
export const SWEEP_FAILURES_FILE = 'sweep-failures-file';
export const SWEEP_CANCEL_CHILDREN = 'sweep-cancel-children';

/** Continue-as-new well before Temporal's limits (50k events / 50 MB). */
const MAX_HISTORY_EVENTS = 10_000;
const DEFAULT_RECONCILE_SECONDS = 60;

export async function sweep(input: SweepInput): Promise<SweepProgress> {
  const { sweepId, plan } = input;
  const state = restoreState(input.state);
  const keyParts = allJobKeyParts(plan);
  const keys = keyParts.map((p) => jobKey(plan, p));
  const breakerThreshold = plan.pauseAfterFailuresInARow ?? 0;
  const acts = proxyActivities<MainQueueActivities>({
    taskQueue: MAIN_TASK_QUEUE,
    // Paging 64 lines is quick: a worker killed mid-page must not stall the sweep for long.
    startToCloseTimeout: '1 minute',
    retry: { maximumAttempts: 10, nonRetryableErrorTypes: ['ConfigError', 'DatasetError'] },
  });
  const failuresFile = { recordsDir: plan.recordsDir, ...(plan.failuresFile ? { failuresFile: plan.failuresFile } : {}) };

  /** Children whose start this run issued: their result (or the SDK's cancellation) is followed here. */
  const live = new Set<string>();
  /** Some running child may have ended unheard: ask Temporal at the next quiet moment. */
  let reconcileDue = false;
  let reconcileTimer = false;

  setHandler(sweepProgressQuery, () => progressOf(sweepId, plan, state, false));
  setHandler(childDoneSignal, (msg: ChildDone) => onChildDone(msg));
  setHandler(sweepPauseSignal, () => {
    state.paused = true;
    signalRunning('pause');
  });
  setHandler(sweepResumeSignal, () => {
    state.paused = false;
    if (state.pauseReason !== null) {
      // Only the circuit breaker sets a reason (a plan field earlier executions lack).
      state.pauseReason = null;
      upsertSearchAttributes(searchAttributeUpdates({ status: 'running' }));
    }
    state.failureStreak = null;
    signalRunning('resume');
  });
  setHandler(sweepCancelSignal, () => {
    state.cancelled = true;
  });
  setHandler(sweepRetrySignal, () => {
    // Re-queued by the loop, between its own steps (a batch of failures may be on its way to the file).
    state.retryRequested = true;
  });

  function onChildDone(msg: ChildDone): void {
    const job = state.running[msg.workflowId];
    // Already counted (the signal and the child's result both report), or a stale report
    // from an earlier run of a prompt that has since been retried.
    if (!job || (msg.runId && (state.retiredRuns[msg.workflowId] === msg.runId || (job.runId && job.runId !== msg.runId)))) return;
    delete state.running[msg.workflowId];
    forgetRetired(state, msg.workflowId);
    if (msg.ok) {
      recordSuccess(state, msg.summary, false);
      return;
    }
    const breaker = recordFailure(state, job, msg.error, breakerThreshold);
    if (breaker) {
      state.paused = true;
      state.pauseReason = breaker;
      upsertSearchAttributes(searchAttributeUpdates({ status: 'paused' }));
      signalRunning('pause');
    }
  }

  function signalRunning(which: 'pause' | 'resume'): void {
    for (const id of Object.keys(state.running)) {
      getExternalWorkflowHandle(id)
        .signal(which === 'pause' ? pauseSignal : resumeSignal)
        .catch(() => undefined); // finished meanwhile: nothing to pause
    }
  }

  const runningCount = () => Object.keys(state.running).length;
  const unheard = () => Object.keys(state.running).filter((id) => !live.has(id));
  const datasetDone = () => state.cursor === null && state.queue.length === 0;
  const updateUi = () => {
    const p = progressOf(sweepId, plan, state, false);
    setCurrentDetails(
      `${p.done + p.reused} done, ${p.running} running, ${p.failed} failed; ` +
        (state.failedPlays > 0 ? `${state.failedPlays} failed plays in completed prompts; ` : '') +
        `${p.compute.generations} generations, ${p.compute.promptTokens + p.compute.completionTokens} tokens` +
        (state.paused ? (state.pauseReason ? ` (${state.pauseReason})` : ' (paused)') : ''),
    );
  };

  async function loadNextPage(): Promise<void> {
    const page = await acts.loadDatasetPage({
      dataset: plan.dataset,
      store: plan.store,
      cursor: state.cursor!,
      pageSize: pagePrompts(plan),
      recordsDir: plan.recordsDir,
      jobPrefix: sweepId,
      jobKeys: keys,
      reuse: plan.reuse,
      datasetFingerprint: plan.datasetFingerprint,
      report: 'totals',
    });
    recordProblems(state, page.problems);
    if (page.reused) recordReused(state, page.reused);
    for (const item of page.items) {
      state.promptsSeen += 1;
      // `finished`: a page read by the previous release's activity (replayed from history).
      const pending =
        item.pending ??
        keys.flatMap((key, i) => {
          const done = item.finished?.[key];
          if (done) recordSuccess(state, done, true);
          return done ? [] : [i];
        });
      for (const i of pending) {
        state.queue.push({
          ...keyParts[i]!,
          workflowId: promptWorkflowId(sweepId, keys[i]!, item.promptId),
          promptId: item.promptId,
          promptRef: item.promptRef,
          referenceRef: item.referenceRef,
          ...(item.rerun?.includes(keys[i]) ? { rerun: true } : {}),
        });
      }
    }
    state.cursor = page.nextCursor;
  }

  /** Reads back the next slice of the failures file that a retry asked for. */
  async function loadRetryPage(): Promise<void> {
    const { from, to } = { from: state.failuresFile.retryFrom, to: state.failuresFile.retryTo };
    const page = await acts.readFailures({ ...failuresFile, from, to, maxLines: LIMITS.failuresPerActivity });
    requeueFromFile(state, page.lines, page.next);
  }

  /** Appends the oldest in-memory failures to the file (all of them when `all`). */
  async function writeFailures(all: boolean): Promise<void> {
    const lines = failuresToWrite(state, all);
    const { bytes } = await acts.appendFailures({ ...failuresFile, offset: state.failuresFile.bytes, lines });
    failuresWritten(state, lines.length, bytes);
  }

  /** Asks Temporal how the children this run has no handle on are doing, and accounts for those that ended. */
  async function reconcile(): Promise<void> {
    reconcileDue = false;
    const ids = unheard();
    for (let i = 0; i < ids.length; i += LIMITS.describedPerActivity) {
      const found = await acts.describePromptWorkflows({ workflowIds: ids.slice(i, i + LIMITS.describedPerActivity), recordsDir: plan.recordsDir });
      for (const f of found) {
        const job = state.running[f.workflowId];
        if (!job || live.has(f.workflowId)) continue;
        if (f.state === 'running') {
          if (!job.runId && f.runId && state.retiredRuns[f.workflowId] !== f.runId) job.runId = f.runId;
        } else if (f.state === 'completed') onChildDone({ workflowId: f.workflowId, runId: f.runId, ok: true, summary: f.summary });
        else onChildDone({ workflowId: f.workflowId, runId: f.runId, ok: false, error: f.error });
      }
    }
  }

  function armReconcileTimer(): void {
    reconcileTimer = true;
    sleep((plan.reconcileEverySeconds ?? DEFAULT_RECONCILE_SECONDS) * 1000).then(
      () => {
        reconcileTimer = false;
        reconcileDue = true;
      },
      () => undefined, // cancelled with the sweep
    );
  }

  async function startJob(job: Job): Promise<void> {
    const method = plan.methods[job.methodIndex];
    const args: PromptSearchInput = {
      sweepId,
      promptId: job.promptId,
      promptRef: job.promptRef,
      referenceRef: job.referenceRef,
      method,
      budget: job.budget,
      seed: job.seed,
      agents: plan.agents,
      reward: plan.reward,
      store: plan.store,
      templates: plan.templates,
      recordsDir: plan.recordsDir,
      retry: plan.retry,
      ...(plan.maxPlaysInFlightPerPrompt === undefined ? {} : { maxPlaysInFlight: plan.maxPlaysInFlightPerPrompt }),
      ...(plan.onPlayFailure === undefined ? {} : { onPlayFailure: plan.onPlayFailure }),
    };
    state.running[job.workflowId] = job;
    live.add(job.workflowId);
    try {
      const handle = await startChild(promptSearch, {
        workflowId: job.workflowId,
        taskQueue: MAIN_TASK_QUEUE,
        args: [args],
        // Children outlive continue-as-new; they report back by signal.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        // A finished prompt is never run twice; a failed one may be retried. A job whose record
        // must be replaced (other inputs under --rerun-changed, or a damaged file) runs again.
        workflowIdReusePolicy: job.rerun ? WorkflowIdReusePolicy.ALLOW_DUPLICATE : WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
        typedSearchAttributes: searchAttributeUpdates({
          sweepId,
          method: methodLabelOf(method),
          budget: job.budget,
          seed: job.seed,
          promptId: job.promptId,
          status: 'running',
          generations: 0,
        }),
        staticSummary: `${methodLabelOf(method)} b${job.budget} s${job.seed} prompt ${job.promptId}`,
      });
      job.runId = handle.firstExecutionRunId;
      const runId = handle.firstExecutionRunId;
      // A second path to the outcome, for children that end without signalling (terminated).
      handle.result().then(
        (summary) => onChildDone({ workflowId: job.workflowId, runId, ok: true, summary }),
        (err) => onChildDone({ workflowId: job.workflowId, runId, ok: false, error: failureOf(err) }),
      );
    } catch (err) {
      live.delete(job.workflowId);
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        // Started by an earlier execution of this sweep: still running (it will signal this
        // workflow ID), or already finished, its report gone while its job sat in the queue.
        // Which one, Temporal says (reconcile), so the slot is never held forever.
        reconcileDue = true;
        return;
      }
      delete state.running[job.workflowId];
      forgetRetired(state, job.workflowId);
      recordFailure(state, job, failureOf(err));
    }
  }

  upsertSearchAttributes(searchAttributeUpdates({ sweepId, status: 'running' }));
  try {
    for (;;) {
      updateUi();
      if (state.retryRequested) {
        state.retryRequested = false;
        requeueFailed(state);
      }
      if (state.cancelled) break;
      if (datasetDone() && runningCount() === 0 && !retryPending(state)) break;
      if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > (plan.continueAsNewAfterEvents ?? MAX_HISTORY_EVENTS)) {
        await condition(allHandlersFinished);
        await continueAsNew<typeof sweep>({ sweepId, plan, state });
      }
      if (failuresToWrite(state, false).length > 0 && patched(SWEEP_FAILURES_FILE)) {
        await writeFailures(false);
        continue;
      }
      const canStart = () => !state.paused && !state.cancelled && runningCount() < plan.maxRunningPrompts;
      if (canStart() && state.queue.length === 0 && retryPending(state)) {
        await loadRetryPage();
        continue;
      }
      if (canStart() && state.queue.length === 0 && state.cursor !== null) {
        await loadNextPage();
        continue;
      }
      if (canStart() && state.queue.length > 0) {
        await startJob(state.queue.shift()!);
        continue;
      }
      // Nothing to start: a quiet moment to ask about children nobody here is following.
      if (reconcileDue && unheard().length > 0 && patched(SWEEP_RECONCILE_CHILDREN)) {
        await reconcile();
        continue;
      }
      if (!reconcileTimer && unheard().length > 0 && patched(SWEEP_RECONCILE_CHILDREN)) armReconcileTimer();
      // Wakes on a change only: while replaying a history of the previous release, reconcileDue
      // may stay true without a reconcile (unpatched), which must not spin.
      const wake = () => `${runningCount()}|${state.queue.length}|${state.paused}|${reconcileDue}`;
      const before = wake();
      await condition(() => state.cancelled || state.retryRequested || wake() !== before);
    }

    if (state.cancelled) {
      for (const id of Object.keys(state.running)) {
        await getExternalWorkflowHandle(id)
          .cancel()
          .catch(() => undefined);
      }
    }
    // The file lists every failure once the sweep is over (`toa sweep retry` of a closed sweep
    // re-reads the dataset; the file is for people and tools).
    while (state.failed.length > 0 && patched(SWEEP_FAILURES_FILE)) await writeFailures(true);
  } catch (err) {
    // Cancelled from outside (Temporal UI, `temporal workflow cancel`): children started by
    // earlier runs are not tied to this run's cancellation scope, and (measured) neither the
    // abandoned children of this run are cancelled when the sweep closes at once; cancel them
    // all explicitly, or they go on paying.
    if (isCancellation(err) && patched(SWEEP_CANCEL_CHILDREN)) {
      await CancellationScope.nonCancellable(async () => {
        state.cancelled = true;
        await Promise.all(Object.keys(state.running).map((id) => getExternalWorkflowHandle(id).cancel().catch(() => undefined)));
        upsertSearchAttributes(searchAttributeUpdates({ status: 'cancelled' }));
        updateUi();
      });
    }
    throw err;
  }
  const progress = progressOf(sweepId, plan, state, true);
  upsertSearchAttributes(searchAttributeUpdates({ status: progress.status }));
  updateUi();
  return progress;
}
