/**
 * Rebuilds a prompt's full result (responses with their texts, tree, anytime curve) from its
 * trace and per-play facts, by replaying the deterministic strategy: the workflow never ships the
 * tree through history. The per-play facts and texts come from the write-once generations the
 * `play` activities left in the prompt's scope of the store (exactly what each play returned to
 * the workflow; ./playMemos.ts says where else they may be) plus the rewards the workflow observed.
 * A failed play (null reward, its failure given) is replayed as failed; if its generation
 * succeeded (only its reward failed), it was paid: its tokens count in compute.
 */
import { computeOf, type CallRecord } from '../common/compute';
import { jobDigests, methodDigestTexts, storeDigestTexts } from './digests';
import { textKey } from '../store';
import type { PromptRecord, RecordedFailedPlay, RecordedResponse } from '../common/records';
import { replaySearch } from '../search/driver';
import { createStrategy } from '../search/methods';
import type { Action } from '../search/types';
import type { TextStore } from '../store';
import { playMemoNames, PromptPlays, requireGeneration, type Generated } from './playMemos';
import { getText, previewOf } from './texts';
import type { PlayContext, WritePromptRecordInput } from './types';

export async function buildPromptRecord(input: WritePromptRecordInput, store: TextStore): Promise<PromptRecord> {
  const { header, agents } = input;
  const plays = new PromptPlays(store, header.workflowId);
  const calls = new Map<string, CallRecord>();
  const texts = new Map<string, string>();
  /** Failed plays whose generation succeeded (their reward failed): paid, so counted in compute. */
  const failedGenerations = new Map<string, Generated & { agent: string; text: string }>();
  let observed = 0;
  /** The play's generation memo: its inputs are scored responses replayed before it, so their refs are known. */
  const requestOf = (action: Action) => {
    const inputRefs = action.inputs.map((id) => calls.get(id)!.ref);
    return { name: playMemoNames(header.workflowId, input.contextRef, action, inputRefs).generation, request: { contextRef: input.contextRef, action, inputRefs } };
  };
  const strategy = createStrategy(header.methodSpec, { agents: agents.map((a) => a.name), budget: header.budget, seed: header.searchSeed });
  const result = await replaySearch(strategy, input.trace, async (action) => {
    const reward = input.rewards[observed++];
    if (reward === undefined) throw new Error(`record of ${header.workflowId}: no reward for play ${action.id} (observation ${observed})`);
    const { name, request } = requestOf(action);
    if (reward === null) {
      const error = input.failures?.[action.id];
      if (!error) throw new Error(`record of ${header.workflowId}: play ${action.id} failed, but its failure is not given`);
      const g = await plays.recallGeneration(name, request);
      if (g) failedGenerations.set(action.id, { ref: g.ref, text: g.text, promptTokens: g.promptTokens, completionTokens: g.completionTokens, latencyMs: g.latencyMs, agent: action.agent });
      return { actionId: action.id, failed: error };
    }
    const g = await requireGeneration(plays, name, request, `record of ${header.workflowId}: play ${action.id}`);
    texts.set(action.id, g.text);
    const c: CallRecord = { actionId: action.id, agent: action.agent, ref: g.ref, promptTokens: g.promptTokens, completionTokens: g.completionTokens, latencyMs: g.latencyMs, reward };
    calls.set(action.id, c);
    return { actionId: c.actionId, reward: c.reward, promptTokens: c.promptTokens, completionTokens: c.completionTokens };
  });
  const responses: RecordedResponse[] = result.responses.map((r) => {
    const c = calls.get(r.id);
    const text = texts.get(r.id);
    if (!c || text === undefined) throw new Error(`record of ${header.workflowId}: response ${r.id} has no recorded call`);
    // Texts and previews never travel through history: they come from the store.
    return { ...r, ref: c.ref, text, preview: previewOf(text), latencyMs: c.latencyMs };
  });
  const { failedPlays: failed, ...scored } = result;
  const failedPlays: RecordedFailedPlay[] | undefined = failed?.map((f) => {
    const gen = failedGenerations.get(f.id);
    return { ...f, promptTokens: gen?.promptTokens ?? 0, completionTokens: gen?.completionTokens ?? 0, ...(gen ? { ref: gen.ref, text: gen.text } : {}) };
  });
  // What produced the record, from the context the plays ran with (docs/result-format.md).
  const context = JSON.parse(await getText(store, input.contextRef, 'the play context')) as PlayContext;
  const digestTexts = methodDigestTexts({ method: header.methodSpec, agents: context.agents, reward: context.reward, templates: context.templates });
  await storeDigestTexts(store, digestTexts);
  const method = {
    method: textKey(digestTexts.method),
    agents: textKey(digestTexts.agents),
    reward: textKey(digestTexts.reward),
    templates: textKey(digestTexts.templates),
  };
  return {
    ...header,
    digests: jobDigests(method, header.promptRef, header.referenceRef),
    contextRef: input.contextRef,
    result: { ...scored, responses, ...(failedPlays ? { failedPlays } : {}) },
    compute: computeOf([...calls.values(), ...[...failedGenerations.values()].map(({ text: _t, ...g }) => g)], agents),
    bestText: texts.get(result.bestId)!,
  };
}
