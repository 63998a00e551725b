/**
 * Rebuilds a prompt's full result (responses, tree, anytime curve) from its trace and per-call
 * facts, by replaying the deterministic strategy: the workflow never ships the tree through
 * history. The per-call facts come either in the input (two-activity workflows) or from the
 * write-once generation memos the `play` activities left in the store (exactly what each play
 * returned to the workflow) plus the rewards the workflow observed.
 */
import { playMemoNames, requireMemo, type Generated } from '../activities/play';
import { previewOf } from '../activities/texts';
import { createStrategy, replayTrace } from '../search';
import type { Action } from '../search/types';
import type { TextStore } from '../store';
import { computeOf, type CallRecord } from '../common/compute';
import type { WritePromptRecordInput } from '../workflows/activityTypes';
import type { PromptRecord, RecordedResponse } from '../common/records';

export async function buildPromptRecord(input: WritePromptRecordInput, store: TextStore): Promise<PromptRecord> {
  const { header, agents } = input;
  const given = input.calls && new Map(input.calls.map((c) => [c.actionId, c]));
  const calls = new Map<string, CallRecord>();
  const callOf = async (action: Action): Promise<CallRecord> => {
    if (given) {
      const c = given.get(action.id);
      if (!c) throw new Error(`record of ${header.workflowId}: response ${action.id} has no recorded call`);
      return c;
    }
    const memos = input.memos;
    if (!memos) throw new Error(`record of ${header.workflowId}: neither calls nor memos given`);
    const reward = memos.rewards[calls.size];
    if (reward === undefined) throw new Error(`record of ${header.workflowId}: no reward for play ${action.id} (observation ${calls.size + 1})`);
    return callFromMemos(store, header.workflowId, memos.contextRef, action, reward, calls);
  };
  const strategy = createStrategy(header.methodSpec, { agents: agents.map((a) => a.name), budget: header.budget, seed: header.seed });
  const result = await replayTrace(strategy, input.trace, async (action) => {
    const c = await callOf(action);
    calls.set(action.id, c);
    return { actionId: c.actionId, reward: c.reward, promptTokens: c.promptTokens, completionTokens: c.completionTokens };
  });
  const responses: RecordedResponse[] = await Promise.all(
    result.responses.map(async (r) => {
      const c = calls.get(r.id);
      if (!c) throw new Error(`record of ${header.workflowId}: response ${r.id} has no recorded call`);
      // Plays no longer send previews through history: take them from the stored texts.
      const preview = c.preview ?? previewOf(await store.get(c.ref));
      return { ...r, ref: c.ref, preview, latencyMs: c.latencyMs ?? 0 };
    }),
  );
  const best = calls.get(result.bestId)!;
  return {
    ...header,
    result: { ...result, responses },
    compute: computeOf([...calls.values()], agents),
    bestText: await store.get(best.ref),
  };
}

/** One play's facts from its generation memo (its inputs were replayed before it, so their refs are known). */
async function callFromMemos(
  store: TextStore,
  workflowId: string,
  contextRef: string,
  action: Action,
  reward: number,
  earlier: Map<string, CallRecord>,
): Promise<CallRecord> {
  const inputRefs = action.inputs.map((id) => earlier.get(id)!.ref);
  const { generation } = playMemoNames(workflowId, contextRef, action, inputRefs);
  const gen = await requireMemo<Generated>(store, generation, `record of ${workflowId}: play ${action.id}`);
  return { actionId: action.id, agent: action.agent, ...gen, reward };
}
