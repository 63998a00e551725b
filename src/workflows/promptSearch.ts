/**
 * promptSearch: one prompt, one method, one budget, one seed. A thin durable driver around a
 * pure strategy from src/search: the strategy decides, activities generate and score, and the
 * workflow only moves small references around (texts stay in the response store).
 */
import {
  ApplicationFailure,
  type ActivityOptions,
  condition,
  defineQuery,
  defineSignal,
  getExternalWorkflowHandle,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { AgentConfig, MethodSpec, RewardSpec } from '../config/schema';
import type { StoreSpec, TemplateRefs } from '../common/store';
import type { Action } from '../search/types';
import { createStrategy, tracing, type TraceStep } from '../search';
import { deriveSeed } from '../search/prng';
import { agentTaskQueue, MAIN_TASK_QUEUE } from '../common/taskQueues';
import { methodLabelOf } from '../search/methods';
import { computeOf, type ComputeTotals, type CallRecord } from '../common/compute';
import type { RetrySpec } from '../common/retry';
import { toRetryPolicy } from '../common/retry';
import { recordHeaderOf, type PromptSummary } from '../common/records';
import type { ToaActivities } from './activityTypes';
import { childDoneSignal } from './signals';
import { searchAttributeUpdates } from '../common/searchAttributes';
import { failureOf } from '../common/failures';

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

/**
 * Workflows started since this patch run one `play` activity per play (generation + reward)
 * and upsert search attributes only when the best improves or every tenth of the budget;
 * older executions keep the two-activity path (`generate` then `score`) they were started with.
 */
export const ONE_ACTIVITY_PER_PLAY = 'one-activity-per-play';

/** What a play reports back, whichever path produced it: a call record without its action. */
type PlayResult = Omit<CallRecord, 'actionId' | 'agent'>;

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
  const contextActs = proxyLocalActivities<ToaActivities>({ startToCloseTimeout: '1 minute', retry: toRetryPolicy(input.retry) });
  const scoreActs = proxyActivities<ToaActivities>({
    taskQueue: MAIN_TASK_QUEUE,
    startToCloseTimeout: `${scoreTimeoutSeconds * 2} seconds`,
    heartbeatTimeout: '20 seconds',
    retry: toRetryPolicy(input.retry),
  });
  // One proxy per agent: each agent has its own task queue, so its concurrency and rate limits
  // hold across every worker that polls it.
  const onePerPlay = patched(ONE_ACTIVITY_PER_PLAY);
  const perAgent = (options: (a: AgentConfig) => Omit<ActivityOptions, 'taskQueue'>) =>
    new Map(input.agents.map((a) => [a.name, proxyActivities<ToaActivities>({ taskQueue: agentTaskQueue(a), ...options(a) })]));
  // Per attempt, a generation may first wait (at most about one request) for its endpoint's gate.
  const agentActs = perAgent((a) => ({
    startToCloseTimeout: `${a.timeoutSeconds * 2} seconds`,
    // A killed worker is noticed within this, not after the full request timeout.
    heartbeatTimeout: '30 seconds',
    retry: toRetryPolicy(input.retry),
  }));
  const playActs = perAgent((a) => ({
    // A play also scores its response.
    startToCloseTimeout: `${a.timeoutSeconds * 2 + scoreTimeoutSeconds * 2} seconds`,
    heartbeatTimeout: '30 seconds',
    // Our activities mark misconfiguration non-retryable where they throw it; repeating the
    // list of those types in every scheduled play would only grow history.
    retry: toRetryPolicy(input.retry, { listNonRetryableTypes: false }),
  }));

  const refs = new Map<string, string>();
  const calls: CallRecord[] = [];
  const trace: TraceStep[] = [];
  const strategy = tracing(createStrategy(input.method, { agents: input.agents.map((a) => a.name), budget: input.budget, seed: input.seed }), trace);
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

  /** Set when a play failed for good: the prompt fails once the plays in flight settle. */
  let failure: unknown;

  /** Issues whatever the strategy wants now. Called at start, after every outcome, and on resume. */
  function launch(): void {
    if (paused || strategy.done()) return;
    // Once the prompt is failing, plays still settling must not start new (paid) ones.
    if (onePerPlay && failure !== undefined) return;
    for (const action of strategy.next()) {
      const play = run(action).finally(() => inFlight.delete(action.id));
      play.catch(() => undefined); // observed through Promise.race below; never an unhandled rejection
      inFlight.set(action.id, play);
    }
  }

  /** The store key of the context every play shares (written once, by a local activity). */
  let contextRef: string | undefined;

  /** One activity: generation and reward together (memoised by the activity, never re-paid). */
  async function playInOne(action: Action, summary: string): Promise<PlayResult> {
    return playActs.get(action.agent)!.play.executeWithOptions({ summary }, [{
      store: input.store,
      contextRef: contextRef!,
      action,
      inputRefs: action.inputs.map((id) => refs.get(id)!),
    }]);
  }

  /** Before ONE_ACTIVITY_PER_PLAY: `generate` on the agent's queue, then `score` on the main queue. */
  async function playInTwo(action: Action, agent: AgentConfig, summary: string): Promise<PlayResult> {
    const gen = await agentActs.get(action.agent)!.generate.executeWithOptions({ summary }, [{
      agent,
      store: input.store,
      promptRef: input.promptRef,
      action,
      inputRefs: action.inputs.map((id) => refs.get(id)!),
      templates: input.templates,
      seed: deriveSeed(input.seed, input.promptId, action.id),
      label: `${input.promptId} ${action.id}`,
    }]);
    const { reward } = await scoreActs.score.executeWithOptions({ summary: `score ${action.id}: ${gen.preview.slice(0, 40)}` }, [{
      reward: input.reward,
      store: input.store,
      promptRef: input.promptRef,
      responseRef: gen.ref,
      referenceRef: input.referenceRef,
      promptId: input.promptId,
      model: agent.model,
    }]);
    return { ...gen, reward };
  }

  let upserted: { generations: number; bestReward: number | null } = { generations: 0, bestReward: null };
  /** Search attributes for the UI: every play on the old path; on the new, on improvement or every tenth. */
  function upsertProgress(): void {
    const improved = bestReward !== upserted.bestReward;
    if (onePerPlay && !improved && calls.length - upserted.generations < Math.max(1, Math.ceil(input.budget / 10))) return;
    upserted = { generations: calls.length, bestReward };
    upsertSearchAttributes(searchAttributeUpdates({ generations: calls.length, bestReward }));
  }

  async function run(action: Action): Promise<void> {
    const agent = agentsByName.get(action.agent);
    if (!agent) throw ApplicationFailure.nonRetryable(`strategy chose unknown agent "${action.agent}"`);
    // Per-call summaries make the UI's event list readable ("r7: agent2 refines r3").
    const what = action.kind === 'fresh' ? 'answers fresh' : action.kind === 'refine' ? `refines ${action.inputs[0]}` : `aggregates ${action.inputs.join(',')}`;
    const summary = `${action.id}: ${action.agent} ${what}`;
    const out = onePerPlay ? await playInOne(action, summary) : await playInTwo(action, agent, summary);
    refs.set(action.id, out.ref);
    const { reward } = out;
    calls.push({
      actionId: action.id,
      agent: agent.name,
      ref: out.ref,
      ...(out.preview === undefined ? {} : { preview: out.preview }),
      ...(out.latencyMs === undefined ? {} : { latencyMs: out.latencyMs }),
      promptTokens: out.promptTokens,
      completionTokens: out.completionTokens,
      reward,
    });
    if (bestReward === null || reward > bestReward) {
      bestReward = reward;
      bestAgent = agent.name;
    }
    strategy.observe({ actionId: action.id, reward, promptTokens: out.promptTokens, completionTokens: out.completionTokens });
    setCurrentDetails(describe());
    launch();
  }

  upsertSearchAttributes(searchAttributeUpdates({ status: 'running', generations: 0 }));
  setCurrentDetails(describe());
  try {
    if (onePerPlay) {
      contextRef = await contextActs.putPlayContext({
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
    }
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
      upsertProgress();
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
    // One activity per play: the record writer reads each play's facts from its memos, so the
    // calls do not go through history a second time.
    ...(onePerPlay ? { memos: { contextRef: contextRef!, rewards: calls.map((c) => c.reward) } } : { calls }),
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
