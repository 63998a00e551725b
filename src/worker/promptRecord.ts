/**
 * Rebuilds a prompt's full result (responses, tree, anytime curve) from its trace and per-call
 * facts, by replaying the deterministic strategy: the workflow never ships the tree through
 * history. The replay is checked against what the workflow saw (same calls, same best).
 */
import { createStrategy, replayTrace } from '../search';
import type { Outcome } from '../search/types';
import type { TextStore } from '../store';
import { previewOf } from '../activities/texts';
import { computeOf } from '../workflows/compute';
import type { WritePromptRecordInput } from '../workflows/activityTypes';
import type { PromptRecord, RecordedResponse } from '../workflows/records';

export async function buildPromptRecord(input: WritePromptRecordInput, store: TextStore): Promise<PromptRecord> {
  const { header, calls, agents } = input;
  const outcomes = new Map<string, Outcome>(
    calls.map((c) => [c.actionId, { actionId: c.actionId, reward: c.reward, promptTokens: c.promptTokens, completionTokens: c.completionTokens }]),
  );
  const strategy = createStrategy(header.methodSpec, agents.map((a) => a.name), header.budget, header.seed);
  const result = replayTrace(strategy, input.trace, outcomes);
  const byId = new Map(calls.map((c) => [c.actionId, c]));
  const responses: RecordedResponse[] = await Promise.all(
    result.responses.map(async (r) => {
      const c = byId.get(r.id);
      if (!c) throw new Error(`record of ${header.workflowId}: response ${r.id} has no recorded call`);
      // Plays no longer send previews through history: take them from the stored texts.
      const preview = c.preview ?? previewOf(await store.get(c.ref));
      return { ...r, ref: c.ref, preview, latencyMs: c.latencyMs };
    }),
  );
  const best = byId.get(result.bestId)!;
  return {
    ...header,
    result: { ...result, responses },
    compute: computeOf(calls, agents),
    bestText: await store.get(best.ref),
  };
}
