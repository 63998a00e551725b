/**
 * promptSearch: one prompt, one method, one budget, one seed. A thin durable driver around a
 * pure strategy from src/search: the strategy decides, the one driver loop (runSearch) runs it,
 * one `play` activity per play (generation + reward, on the agent's task queue) does the work,
 * and the workflow only moves small references around (texts stay in the response store).
 */
import {
  ActivityFailure,
  ApplicationFailure,
  CancellationScope,
  condition,
  defineSignal,
  deprecatePatch,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  isCancellation,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { AgentQueueActivities, MainQueueActivities } from '../activities';
import type { AgentConfig, MethodSpec, OnPlayFailure, RewardSpec } from '../config/schema';
import type { CallRecord } from '../common/compute';
import { failure, failureOf, isPlayContentFailure, type FailureType } from '../common/failures';
import { recordHeaderOf, type PromptSummary } from '../common/records';
import { toRetryPolicy, type RetrySpec } from '../common/retry';
import { searchAttributeUpdates, ToaSearchAttributes } from '../common/searchAttributes';
import type { StoreSpec, TemplateRefs } from '../common/store';
import { agentTaskQueue, MAIN_TASK_QUEUE } from '../common/taskQueues';
import { playAttemptSeconds } from '../common/timeouts';
import { runSearch } from '../search/driver';
import { createStrategy, methodLabelOf } from '../search/methods';
import { promptSearchSeed } from '../search/prng';
import { EveryPlayFailedError } from '../search/result';
import type { Action, Outcome, PlayFailure } from '../search/types';
import { childDoneSignal } from './signals';

export interface PromptSearchInput {
  sweepId?: string;
  promptId: string;
  /** Store key of the prompt text (the dataset never travels in workflow input). */
  promptRef: string;
  referenceRef?: string;
  method: MethodSpec;
  budget: number;
  seed: number;
  agents: AgentConfig[];
  reward: RewardSpec;
  store: StoreSpec;
  templates: TemplateRefs;
  /** Folder of the per-prompt result records (absolute). */
  recordsDir: string;
  retry?: RetrySpec;
  /**
   * Most plays of this prompt running at once (the sweep file's `maxPlaysInFlightPerPrompt`):
   * plays the strategy issued beyond it wait in the driver, so a pause stops spending within
   * this many plays. Unset (executions started before it existed): no cap.
   */
  maxPlaysInFlight?: number;
  /**
   * A play that fails for its own content (src/common/failures.ts, PLAY_CONTENT_FAILURES):
   * `continue` records it as failed and the search goes on; `fail-prompt` fails the prompt. Unset
   * (executions started before it existed, and `toa run` inputs of that time): `fail-prompt`, the
   * behaviour they were started with. No command changes between the two, so no patch is needed.
   */
  onPlayFailure?: OnPlayFailure;
}

/** Characters of a failed play's message kept in history and the record. */
const FAILED_PLAY_MESSAGE_CHARS = 500;

/**
 * Patch history (Temporal's patching lifecycle, https://docs.temporal.io/develop/typescript/versioning):
 * - 'one-activity-per-play' (0.1.0): one `play` activity per play instead of `generate` + `score`.
 *   Deprecated: every execution since runs that path; the marker is still written so histories
 *   from before the deprecation replay. Remove the call once no execution started before this
 *   release can be running.
 * - 'prompt-search-0.2': what changed in release 0.2, under one id (each patch id costs every
 *   execution a marker and a TemporalChangeVersion upsert, so the release's changes share one):
 *   the strategy's seed is promptSearchSeed(seed, promptId), so prompts of one sweep draw
 *   independent random choices (sequential refinement's round orders; executions started before
 *   keep the run's seed); progress search attributes (generations, best reward) are upserted on
 *   the first outcome and then at most once every PROGRESS_EVERY_MS of workflow time (and at the
 *   end), and the start's own `running` upsert is skipped when the starter already set it (each
 *   upsert is a history event and a visibility write: before, about one per play).
 * - 'report-on-every-end': a child reports to its sweep however it ends: also when it is
 *   cancelled (the report runs in a non-cancellable scope) and when writing its record fails.
 *   Before it, both ended silently and the sweep counted the prompt as running forever. Only
 *   those two ends are guarded (success and search failures reported before, unchanged), so the
 *   marker appears only in histories that end one of those ways.
 */
export const ONE_ACTIVITY_PER_PLAY = 'one-activity-per-play';
export const PROMPT_SEARCH_0_2 = 'prompt-search-0.2';
export const REPORT_ON_EVERY_END = 'report-on-every-end';

/** Least workflow time between two progress upserts (under PROMPT_SEARCH_0_2). */
export const PROGRESS_EVERY_MS = 2000;

export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');

export async function promptSearch(input: PromptSearchInput): Promise<PromptSummary> {
  deprecatePatch(ONE_ACTIVITY_PER_PLAY);
  const release02 = patched(PROMPT_SEARCH_0_2);
  const searchSeed = release02 ? promptSearchSeed(input.seed, input.promptId) : input.seed;
  const throttleUpserts = release02;
  const label = methodLabelOf(input.method);

  const main = proxyActivities<MainQueueActivities>({
    taskQueue: MAIN_TASK_QUEUE,
    // Writing a record takes milliseconds; a worker killed during it is only noticed when this
    // runs out (the activity does not heartbeat), so keep it short.
    startToCloseTimeout: '1 minute',
    retry: toRetryPolicy(input.retry),
  });
  const local = proxyLocalActivities<MainQueueActivities>({ startToCloseTimeout: '1 minute', retry: toRetryPolicy(input.retry) });
  // One proxy per agent: each agent has its own task queue, so its concurrency and rate limits
  // hold across every worker that polls it.
  const agentQueues = new Map(
    input.agents.map((a) => [
      a.name,
      proxyActivities<AgentQueueActivities>({
        taskQueue: agentTaskQueue(a),
        // A play generates (at most one endpoint request's wait at the gate, then the request) and scores.
        startToCloseTimeout: `${playAttemptSeconds(a.timeoutSeconds, input.reward)} seconds`,
        // A killed worker is noticed within this, not after the full request timeout.
        heartbeatTimeout: '30 seconds',
        // Our activities mark misconfiguration non-retryable where they throw it; repeating the
        // list of those types in every scheduled play would only grow history.
        retry: toRetryPolicy(input.retry, { listNonRetryableTypes: false }),
      }),
    ]),
  );

  const refs = new Map<string, string>();
  const calls: Array<Pick<CallRecord, 'agent' | 'promptTokens' | 'completionTokens' | 'reward'>> = [];
  /** Every observed play's reward in observation order, null for a failed play (the record writer's input). */
  const observedRewards: Array<number | null> = [];
  /** Failed plays (onPlayFailure: continue), by action id. */
  const failures: Record<string, PlayFailure> = {};
  const failedByType: Record<string, number> = {};
  let paused = false;
  let best: { reward: number; agent: string } | undefined;

  setHandler(pauseSignal, () => void (paused = true));
  setHandler(resumeSignal, () => void (paused = false));

  const failedCount = () => observedRewards.length - calls.length;
  const describe = () =>
    `${label} b${input.budget}: play ${observedRewards.length}/${input.budget}` +
    (failedCount() > 0 ? ` (${failedCount()} failed: ${Object.entries(failedByType).map(([t, n]) => `${t}×${n}`).join(', ')})` : '') +
    (best ? `, best ${best.reward.toFixed(3)} from ${best.agent}` : '') +
    (paused ? ' (paused)' : '');

  /**
   * Search attributes for the UI (generations = plays made, failed ones included). Throttled: the
   * first outcome, then at most every PROGRESS_EVERY_MS of workflow time (Date.now() is the
   * workflow task's time: deterministic). Before the patch: on improvement, or every tenth of the budget.
   */
  let upserted: { generations: number; bestReward: number | null; at: number } = { generations: 0, bestReward: null, at: -Infinity };
  function upsertProgress(): void {
    const bestReward = best?.reward ?? null;
    const plays = observedRewards.length;
    if (bestReward === upserted.bestReward && plays === upserted.generations) return;
    if (throttleUpserts ? Date.now() - upserted.at < PROGRESS_EVERY_MS : bestReward === upserted.bestReward && plays - upserted.generations < Math.max(1, Math.ceil(input.budget / 10))) return;
    upserted = { generations: plays, bestReward, at: Date.now() };
    upsertSearchAttributes(searchAttributeUpdates({ generations: plays, bestReward }));
  }

  // Sweeps and `toa run` start prompts with `running` already set; others get it here.
  if (!throttleUpserts || workflowInfo().typedSearchAttributes.get(ToaSearchAttributes.status) !== 'running') {
    upsertSearchAttributes(searchAttributeUpdates({ status: 'running', generations: 0 }));
  }
  setCurrentDetails(describe());
  let run: Awaited<ReturnType<typeof runSearch>>;
  let contextRef: string;
  try {
    // What every play shares (agents, reward, templates, prompt) is stored once; plays pass its key.
    contextRef = await local.putPlayContext({
      store: input.store,
      context: {
        agents: input.agents,
        reward: input.reward,
        templates: input.templates,
        promptId: input.promptId,
        promptRef: input.promptRef,
        ...(input.referenceRef === undefined ? {} : { referenceRef: input.referenceRef }),
        seed: input.seed,
      },
    });
    const play = async (action: Action): Promise<Outcome> => {
      let out;
      try {
        out = await agentQueues.get(action.agent)!.play.executeWithOptions({ summary: summaryOf(action) }, [
          { store: input.store, contextRef, action, inputRefs: action.inputs.map((id) => refs.get(id)!) },
        ]);
      } catch (err) {
        const failed = input.onPlayFailure === 'continue' ? survivedFailure(err) : undefined;
        if (!failed) throw err;
        return { actionId: action.id, failed };
      }
      refs.set(action.id, out.ref);
      return { actionId: action.id, reward: out.reward, promptTokens: out.promptTokens, completionTokens: out.completionTokens };
    };
    const strategy = createStrategy(input.method, { agents: input.agents.map((a) => a.name), budget: input.budget, seed: searchSeed });
    run = await runSearch(strategy, play, {
      maxInFlight: input.maxPlaysInFlight,
      held: () => paused,
      async waitWhileHeld() {
        upsertSearchAttributes(searchAttributeUpdates({ status: 'paused' }));
        setCurrentDetails(describe());
        await condition(() => !paused);
        upsertSearchAttributes(searchAttributeUpdates({ status: 'running' }));
      },
      onOutcome(action, outcome) {
        if (outcome.failed) {
          observedRewards.push(null);
          failures[action.id] = outcome.failed;
          failedByType[outcome.failed.type] = (failedByType[outcome.failed.type] ?? 0) + 1;
        } else {
          observedRewards.push(outcome.reward);
          calls.push({ agent: action.agent, promptTokens: outcome.promptTokens, completionTokens: outcome.completionTokens, reward: outcome.reward });
          if (!best || outcome.reward > best.reward) best = { reward: outcome.reward, agent: action.agent };
        }
        setCurrentDetails(describe());
      },
      afterWake: upsertProgress,
    });
  } catch (caught) {
    // No play was scored (each failed in a way the prompt survives): the prompt fails with the
    // most frequent failure type, as an application failure (any other error would only fail the
    // workflow task, and retry it forever).
    const err = caught instanceof EveryPlayFailedError ? failure(caught.type as FailureType, caught.message) : caught;
    // Before 'report-on-every-end', a cancelled child sent nothing (the signal was refused in
    // the cancelled scope): such histories must replay without the report.
    if (isCancellation(err) && !patched(REPORT_ON_EVERY_END)) {
      upsertSearchAttributes(searchAttributeUpdates({ status: 'failed' }));
      throw err;
    }
    upsertSearchAttributes(searchAttributeUpdates({ status: isCancellation(err) ? 'cancelled' : 'failed' }));
    await reportToParent({ ok: false, error: endOf(err) });
    throw err;
  }

  // The record (with the full tree) is rebuilt by the activity from the trace and the plays'
  // memos: history only carries the per-play facts, not the tree.
  let summary: PromptSummary;
  try {
    ({ summary } = await main.writePromptRecord({
      recordsDir: input.recordsDir,
      store: input.store,
      header: recordHeaderOf({ ...input, searchSeed }, workflowInfo().workflowId),
      agents: input.agents,
      trace: run.trace,
      contextRef,
      rewards: observedRewards,
      ...(failedCount() > 0 ? { failures } : {}),
    }));
  } catch (err) {
    // Before 'report-on-every-end' this end was silent (the sweep never heard of the prompt).
    if (patched(REPORT_ON_EVERY_END)) {
      upsertSearchAttributes(searchAttributeUpdates({ status: isCancellation(err) ? 'cancelled' : 'failed' }));
      await reportToParent({ ok: false, error: endOf(err) });
    }
    throw err;
  }
  upsertSearchAttributes(searchAttributeUpdates({ status: 'completed', generations: observedRewards.length, bestReward: summary.bestReward }));
  setCurrentDetails(`${describe()} (done)`);
  await reportToParent({ ok: true, summary });
  return summary;
}

/** A cancellation reads as `Cancelled` in the sweep's failures (and `toa sweep retry` re-runs it). */
function endOf(err: unknown): { type: string; message: string } {
  return isCancellation(err) ? { type: 'Cancelled', message: 'the prompt workflow was cancelled' } : failureOf(err);
}

/**
 * The failure of a play that its prompt survives under `onPlayFailure: continue`: the activity
 * failed, non-retryably, for its own content (isPlayContentFailure). Anything else (a cancelled
 * play, retries that ran out, a timeout, misconfiguration) is undefined: the prompt fails.
 */
function survivedFailure(err: unknown): PlayFailure | undefined {
  if (!(err instanceof ActivityFailure) || !(err.cause instanceof ApplicationFailure)) return undefined;
  const cause = err.cause;
  const status = (cause.details?.[0] as { status?: unknown } | undefined)?.status;
  if (!cause.type || !isPlayContentFailure(cause.type, typeof status === 'number' ? status : undefined)) return undefined;
  const message = cause.message.length <= FAILED_PLAY_MESSAGE_CHARS ? cause.message : `${cause.message.slice(0, FAILED_PLAY_MESSAGE_CHARS - 1)}…`;
  return { type: cause.type, message };
}

/** Per-play summaries make the UI's event list readable ("r7: agent2 refines r3"). */
function summaryOf(action: Action): string {
  const what =
    action.kind === 'fresh' ? 'answers fresh' : action.kind === 'refine' ? `refines ${action.inputs[0]}` : `aggregates ${action.inputs.join(',')}`;
  return `${action.id}: ${action.agent} ${what}`;
}

/**
 * Children report to the sweep by signal, so the sweep can continue-as-new while they run. The
 * report runs in a non-cancellable scope: a cancelled child still tells its sweep that it ended.
 */
async function reportToParent(payload: { ok: true; summary: PromptSummary } | { ok: false; error: { type: string; message: string } }) {
  const info = workflowInfo();
  if (!info.parent) return;
  await CancellationScope.nonCancellable(async () => {
    try {
      await getExternalWorkflowHandle(info.parent!.workflowId).signal(childDoneSignal, {
        workflowId: info.workflowId,
        runId: info.firstExecutionRunId,
        ...payload,
      });
    } catch {
      // The sweep is gone (cancelled or terminated): the record on disk is what counts, and a
      // later run of the sweep finds out how this prompt ended by asking Temporal.
    }
  });
}
