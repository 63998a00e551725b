/**
 * sweep: fans a dataset out into promptSearch children, one per (method, budget, seed, prompt),
 * with a sliding window of running children. Children are abandoned on continue-as-new and
 * report back by signal (the batch-sliding-window pattern), so the sweep's own history stays
 * small however many prompts it runs. Finished prompts are found by their records on disk,
 * so re-running a sweep (`toa sweep retry`) re-pays nothing that finished.
 */
import {
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  ParentClosePolicy,
  proxyActivities,
  setCurrentDetails,
  setHandler,
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
  initialState,
  jobKey,
  progressOf,
  promptWorkflowId,
  recordFailure,
  recordProblems,
  recordSuccess,
  requeueFailed,
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
  /** Present after continue-as-new. */
  state?: SweepState;
}

/** Continue-as-new well before Temporal's limits (50k events / 50 MB). */
const MAX_HISTORY_EVENTS = 10_000;

export async function sweep(input: SweepInput): Promise<SweepProgress> {
  const { sweepId, plan } = input;
  const state = input.state ?? initialState();
  const keyParts = allJobKeyParts(plan);
  const keys = keyParts.map((p) => jobKey(plan, p));
  const acts = proxyActivities<MainQueueActivities>({
    taskQueue: MAIN_TASK_QUEUE,
    // Paging 64 lines is quick: a worker killed mid-page must not stall the sweep for long.
    startToCloseTimeout: '1 minute',
    retry: { maximumAttempts: 10, nonRetryableErrorTypes: ['ConfigError', 'DatasetError'] },
  });

  setHandler(sweepProgressQuery, () => progressOf(sweepId, plan, state, false));
  setHandler(childDoneSignal, (msg: ChildDone) => onChildDone(msg));
  setHandler(sweepPauseSignal, () => {
    state.paused = true;
    signalRunning('pause');
  });
  setHandler(sweepResumeSignal, () => {
    state.paused = false;
    signalRunning('resume');
  });
  setHandler(sweepCancelSignal, () => {
    state.cancelled = true;
  });
  setHandler(sweepRetrySignal, () => {
    requeueFailed(state);
  });

  function onChildDone(msg: ChildDone): void {
    const job = state.running[msg.workflowId];
    // Already counted (the signal and the child's result both report), or a stale report
    // from an earlier run of a prompt that has since been retried.
    if (!job || (msg.runId && (state.retiredRuns[msg.workflowId] === msg.runId || (job.runId && job.runId !== msg.runId)))) return;
    delete state.running[msg.workflowId];
    if (msg.ok) recordSuccess(state, msg.summary, false);
    else recordFailure(state, job, msg.error);
  }

  function signalRunning(which: 'pause' | 'resume'): void {
    for (const id of Object.keys(state.running)) {
      getExternalWorkflowHandle(id)
        .signal(which === 'pause' ? pauseSignal : resumeSignal)
        .catch(() => undefined); // finished meanwhile: nothing to pause
    }
  }

  const runningCount = () => Object.keys(state.running).length;
  const datasetDone = () => state.cursor === null && state.queue.length === 0;
  const updateUi = () => {
    const p = progressOf(sweepId, plan, state, false);
    setCurrentDetails(
      `${p.done + p.reused} done, ${p.running} running, ${p.failed} failed; ` +
        `${p.compute.generations} generations, ${p.compute.promptTokens + p.compute.completionTokens} tokens` +
        (state.paused ? ' (paused)' : ''),
    );
  };

  async function loadNextPage(): Promise<void> {
    const page = await acts.loadDatasetPage({
      dataset: plan.dataset,
      store: plan.store,
      cursor: state.cursor!,
      pageSize: plan.pageSize ?? 64,
      recordsDir: plan.recordsDir,
      jobPrefix: sweepId,
      jobKeys: keys,
    });
    recordProblems(state, page.problems);
    for (const item of page.items) {
      state.promptsSeen += 1;
      keyParts.forEach((parts, i) => {
        const done = item.finished[keys[i]];
        if (done) {
          recordSuccess(state, done, true);
          return;
        }
        state.queue.push({
          ...parts,
          workflowId: promptWorkflowId(sweepId, keys[i], item.promptId),
          promptId: item.promptId,
          promptRef: item.promptRef,
          referenceRef: item.referenceRef,
        });
      });
    }
    state.cursor = page.nextCursor;
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
    };
    state.running[job.workflowId] = job;
    try {
      const handle = await startChild(promptSearch, {
        workflowId: job.workflowId,
        taskQueue: MAIN_TASK_QUEUE,
        args: [args],
        // Children outlive continue-as-new; they report back by signal.
        parentClosePolicy: ParentClosePolicy.ABANDON,
        // A finished prompt is never run twice; a failed one may be retried.
        workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
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
      if (err instanceof WorkflowExecutionAlreadyStartedError) {
        // Still running from an earlier run of this sweep: it will signal this workflow ID.
        return;
      }
      delete state.running[job.workflowId];
      recordFailure(state, job, failureOf(err));
    }
  }

  upsertSearchAttributes(searchAttributeUpdates({ sweepId, status: 'running' }));
  for (;;) {
    updateUi();
    if (state.cancelled) break;
    if (datasetDone() && runningCount() === 0) break;
    if (workflowInfo().continueAsNewSuggested || workflowInfo().historyLength > (plan.continueAsNewAfterEvents ?? MAX_HISTORY_EVENTS)) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof sweep>({ sweepId, plan, state });
    }
    const canStart = () => !state.paused && !state.cancelled && runningCount() < plan.maxRunningPrompts;
    if (canStart() && state.queue.length === 0 && state.cursor !== null) {
      await loadNextPage();
      continue;
    }
    if (canStart() && state.queue.length > 0) {
      await startJob(state.queue.shift()!);
      continue;
    }
    const before = `${runningCount()}|${state.queue.length}|${state.paused}`;
    await condition(
      () =>
        state.cancelled ||
        `${runningCount()}|${state.queue.length}|${state.paused}` !== before,
    );
  }

  if (state.cancelled) {
    for (const id of Object.keys(state.running)) {
      await getExternalWorkflowHandle(id)
        .cancel()
        .catch(() => undefined);
    }
  }
  const progress = progressOf(sweepId, plan, state, true);
  upsertSearchAttributes(searchAttributeUpdates({ status: progress.status }));
  updateUi();
  return progress;
}

