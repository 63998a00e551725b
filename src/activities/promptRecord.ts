/**
 * Rebuilds a prompt's full result (responses, tree, anytime curve) from its trace and per-play
 * facts, by replaying the deterministic strategy: the workflow never ships the tree through
 * history. The per-play facts come from the write-once generation memos the `play` activities
 * left in the store (exactly what each play returned to the workflow) plus the rewards the
 * workflow observed.
 */
import { computeOf, type CallRecord } from '../common/compute';
import { jobDigests, methodDigestTexts, storeDigestTexts } from './digests';
import { textKey } from '../store';
import type { PromptRecord, RecordedFailedPlay, RecordedResponse } from '../common/records';
import { replaySearch } from '../search/driver';
import { createStrategy } from '../search/methods';
import type { Action } from '../search/types';
import type { TextStore } from '../store';
import { playMemoNames, recallJson, requireMemo, type Generated } from './playMemos';
import { getText, previewOf } from './texts';
import type { PlayContext, WritePromptRecordInput } from './types';

export async function buildPromptRecord(input: WritePromptRecordInput, store: TextStore): Promise<PromptRecord> {
  const { header, agents } = input;
  const calls = new Map<string, CallRecord>();
  /** Failed plays whose generation succeeded (their reward failed): paid, so counted in compute. */
  const failedGenerations = new Map<string, Generated & { agent: string }>();
  let observed = 0;
  const strategy = createStrategy(header.methodSpec, { agents: agents.map((a) => a.name), budget: header.budget, seed: header.searchSeed });
  const result = await replaySearch(strategy, input.trace, async (action) => {
    const reward = input.rewards[observed++];
    if (reward === undefined) throw new Error(`record of ${header.workflowId}: no reward for play ${action.id} (observation ${observed})`);
    if (reward === null) {
      const error = input.failures?.[action.id];
      if (!error) throw new Error(`record of ${header.workflowId}: play ${action.id} failed, but its failure is not given`);
      const gen = await recallJson<Generated>(store, generationMemoOf(header.workflowId, input.contextRef, action, calls));
      if (gen) failedGenerations.set(action.id, { ...gen, agent: action.agent });
      return { actionId: action.id, failed: error };
    }
    const c = await callFromMemos(store, header.workflowId, input.contextRef, action, reward, calls);
    calls.set(action.id, c);
    return { actionId: c.actionId, reward: c.reward, promptTokens: c.promptTokens, completionTokens: c.completionTokens };
  });
  const responses: RecordedResponse[] = await Promise.all(
    result.responses.map(async (r) => {
      const c = calls.get(r.id);
      if (!c) throw new Error(`record of ${header.workflowId}: response ${r.id} has no recorded call`);
      // Previews never travel through history: take them from the stored texts.
      const preview = previewOf(await store.get(c.ref));
      return { ...r, ref: c.ref, preview, latencyMs: c.latencyMs };
    }),
  );
  const { failedPlays: failed, ...scored } = result;
  const failedPlays: RecordedFailedPlay[] | undefined = failed?.map((f) => {
    const gen = failedGenerations.get(f.id);
    return { ...f, promptTokens: gen?.promptTokens ?? 0, completionTokens: gen?.completionTokens ?? 0, ...(gen ? { ref: gen.ref } : {}) };
  });
  const best = calls.get(result.bestId)!;
  // What produced the record, from the context the plays ran with (docs/result-format.md).
  const context = JSON.parse(await getText(store, input.contextRef, 'the play context')) as PlayContext;
  const texts = methodDigestTexts({ method: header.methodSpec, agents: context.agents, reward: context.reward, templates: context.templates });
  await storeDigestTexts(store, texts);
  const method = { method: textKey(texts.method), agents: textKey(texts.agents), reward: textKey(texts.reward), templates: textKey(texts.templates) };
  return {
    ...header,
    digests: jobDigests(method, header.promptRef, header.referenceRef),
    result: { ...scored, responses, ...(failedPlays ? { failedPlays } : {}) },
    compute: computeOf([...calls.values(), ...failedGenerations.values()], agents),
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
  const generation = generationMemoOf(workflowId, contextRef, action, earlier);
  const gen = await requireMemo<Generated>(store, generation, `record of ${workflowId}: play ${action.id}`);
  return { actionId: action.id, agent: action.agent, ...gen, reward };
}

/** The name of a play's generation memo (its inputs are scored responses replayed before it). */
function generationMemoOf(workflowId: string, contextRef: string, action: Action, earlier: Map<string, CallRecord>): string {
  const inputRefs = action.inputs.map((id) => earlier.get(id)!.ref);
  return playMemoNames(workflowId, contextRef, action, inputRefs).generation;
}
