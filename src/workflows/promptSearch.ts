/**
 * promptSearch: one prompt, one method, one budget, one seed. A thin durable driver around a
 * pure strategy from src/search: the strategy decides, activities generate and score, and the
 * workflow only moves small references around (texts stay in the response store).
 */
import {
  ApplicationFailure,
  condition,
  defineQuery,
  defineSignal,
  getExternalWorkflowHandle,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { AgentConfig, MethodSpec, RewardSpec } from '../config/schema';
import type { StoreSpec, TemplateRefs } from '../activities/types';
import type { Action } from '../search/types';
import { createStrategy, tracing, type TraceStep } from '../search';
import { deriveSeed } from '../search/prng';
import { agentTaskQueue, MAIN_TASK_QUEUE } from './taskQueues';
import { methodLabelOf } from '../config/labels';
import { computeOf, type ComputeTotals, type CallRecord } from './compute';
import type { RetrySpec } from './retry';
import { toRetryPolicy } from './retry';
import { recordHeaderOf, type PromptSummary } from './records';
import type { ToaActivities } from './activityTypes';
import { childDoneSignal } from './signals';
import { searchAttributeUpdates } from './searchAttributes';
import { failureOf } from './errors';

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
}

export interface PromptProgress {
  generations: number;
  budget: number;
  inFlight: number;
  bestReward: number | null;
  bestAgent: string | null;
  paused: boolean;
  compute: ComputeTotals;
}

export const pauseSignal = defineSignal('pause');
export const resumeSignal = defineSignal('resume');
export const promptProgressQuery = defineQuery<PromptProgress>('progress');

export async function promptSearch(input: PromptSearchInput): Promise<PromptSummary> {
  const label = methodLabelOf(input.method);
  const agentsByName = new Map(input.agents.map((a) => [a.name, a]));

  const mainActs = proxyActivities<ToaActivities>({
    taskQueue: MAIN_TASK_QUEUE,
    // Writing a record takes milliseconds; a worker killed during it is only noticed when this
    // runs out (the activity does not heartbeat), so keep it short.
    startToCloseTimeout: '1 minute',
    retry: toRetryPolicy(input.retry),
  });
  const scoreTimeoutSeconds = 'timeoutSeconds' in input.reward ? input.reward.timeoutSeconds : 120;
  const scoreActs = proxyActivities<ToaActivities>({
    taskQueue: MAIN_TASK_QUEUE,
    startToCloseTimeout: `${scoreTimeoutSeconds * 2} seconds`,
    heartbeatTimeout: '20 seconds',
    retry: toRetryPolicy(input.retry),
  });
  // One proxy per agent: each agent has its own task queue, so its concurrency and rate limits
  // hold across every worker that polls it.
  const generateVia = new Map(
    input.agents.map((a) => [
      a.name,
      proxyActivities<ToaActivities>({
        taskQueue: agentTaskQueue(a),
        startToCloseTimeout: `${a.timeoutSeconds} seconds`,
        // A killed worker is noticed within this, not after the full request timeout.
        heartbeatTimeout: '30 seconds',
        retry: toRetryPolicy(input.retry),
      }).generate,
    ]),
  );

  const refs = new Map<string, string>();
  const calls: CallRecord[] = [];
  const trace: TraceStep[] = [];
  const strategy = tracing(createStrategy(input.method, input.agents.map((a) => a.name), input.budget, input.seed), trace);
  let paused = false;
  let bestReward: number | null = null;
  let bestAgent: string | null = null;
  const inFlight = new Map<string, Promise<void>>();

  setHandler(pauseSignal, () => void (paused = true));
  setHandler(resumeSignal, () => void (paused = false));
  setHandler(promptProgressQuery, () => ({
    generations: calls.length,
    budget: input.budget,
    inFlight: inFlight.size,
    bestReward,
    bestAgent,
    paused,
    compute: computeOf(calls, input.agents),
  }));

  const describe = () =>
    `${label} b${input.budget}: play ${calls.length}/${input.budget}` +
    (bestReward === null ? '' : `, best ${bestReward.toFixed(3)} from ${bestAgent}`) +
    (paused ? ' (paused)' : '');

  /** Issues whatever the strategy wants now. Called at start, after every outcome, and on resume. */
  function launch(): void {
    if (paused || strategy.done()) return;
    for (const action of strategy.next()) {
      const play = run(action).finally(() => inFlight.delete(action.id));
      play.catch(() => undefined); // observed through Promise.race below; never an unhandled rejection
      inFlight.set(action.id, play);
    }
  }

  async function run(action: Action): Promise<void> {
    const agent = agentsByName.get(action.agent);
    if (!agent) throw ApplicationFailure.nonRetryable(`strategy chose unknown agent "${action.agent}"`);
    // Per-call summaries make the UI's event list readable ("r7: agent2 refines r3").
    const what = action.kind === 'fresh' ? 'answers fresh' : action.kind === 'refine' ? `refines ${action.inputs[0]}` : `aggregates ${action.inputs.join(',')}`;
    const gen = await generateVia.get(action.agent)!.executeWithOptions({ summary: `${action.id}: ${action.agent} ${what}` }, [{
      agent,
      store: input.store,
      promptRef: input.promptRef,
      action,
      inputRefs: action.inputs.map((id) => refs.get(id)!),
      templates: input.templates,
      seed: deriveSeed(input.seed, input.promptId, action.id),
      label: `${input.promptId} ${action.id}`,
    }]);
    refs.set(action.id, gen.ref);
    const { reward } = await scoreActs.score.executeWithOptions({ summary: `score ${action.id}: ${gen.preview.slice(0, 40)}` }, [{
      reward: input.reward,
      store: input.store,
      promptRef: input.promptRef,
      responseRef: gen.ref,
      referenceRef: input.referenceRef,
      promptId: input.promptId,
      model: agent.model,
    }]);
    calls.push({
      actionId: action.id,
      agent: agent.name,
      ref: gen.ref,
      preview: gen.preview,
      latencyMs: gen.latencyMs,
      promptTokens: gen.promptTokens,
      completionTokens: gen.completionTokens,
      reward,
    });
    if (bestReward === null || reward > bestReward) {
      bestReward = reward;
      bestAgent = agent.name;
    }
    strategy.observe({ actionId: action.id, reward, promptTokens: gen.promptTokens, completionTokens: gen.completionTokens });
    setCurrentDetails(describe());
    launch();
  }

  upsertSearchAttributes(searchAttributeUpdates({ status: 'running', generations: 0 }));
  setCurrentDetails(describe());
  let failure: unknown;
  try {
    launch();
    while (!strategy.done()) {
      if (paused && inFlight.size === 0) {
        upsertSearchAttributes(searchAttributeUpdates({ status: 'paused' }));
        setCurrentDetails(describe());
        await condition(() => !paused);
        upsertSearchAttributes(searchAttributeUpdates({ status: 'running' }));
        launch();
        continue;
      }
      if (inFlight.size === 0) {
        throw ApplicationFailure.nonRetryable('strategy proposed no action while not done (a bug in the strategy)');
      }
      // Wait for the next completion; a failed play fails the prompt (after Temporal's retries).
      await Promise.race(inFlight.values());
      upsertSearchAttributes(searchAttributeUpdates({ generations: calls.length, bestReward }));
    }
  } catch (err) {
    failure = err;
  }

  if (failure !== undefined) {
    // Let in-flight plays settle so their cost is at least known; then report and fail.
    await Promise.allSettled(inFlight.values());
    upsertSearchAttributes(searchAttributeUpdates({ status: 'failed' }));
    await notifyParent({ ok: false, error: failureOf(failure) });
    throw failure;
  }

  const info = workflowInfo();
  // The record (with the full tree) is rebuilt by the activity from the trace: history only
  // carries the per-call facts, not the tree.
  const { summary } = await mainActs.writePromptRecord({
    recordsDir: input.recordsDir,
    store: input.store,
    header: recordHeaderOf(input, info.workflowId),
    agents: input.agents,
    trace,
    calls,
  });
  upsertSearchAttributes(searchAttributeUpdates({ status: 'completed', generations: summary.generations, bestReward: summary.bestReward }));
  setCurrentDetails(`${describe()} (done)`);
  await notifyParent({ ok: true, summary });
  return summary;
}

/** Children report to the sweep by signal, so the sweep can continue-as-new while they run. */
async function notifyParent(payload: { ok: true; summary: PromptSummary } | { ok: false; error: { type: string; message: string } }) {
  const info = workflowInfo();
  if (!info.parent) return;
  try {
    await getExternalWorkflowHandle(info.parent.workflowId).signal(childDoneSignal, {
      workflowId: info.workflowId,
      runId: info.firstExecutionRunId,
      ...payload,
    });
  } catch {
    // The sweep is gone (cancelled or terminated): the record on disk is what counts.
  }
}
