/**
 * Training rows from prompt records, in the conventions TRL trainers load without conversion
 * (conversational format: lists of {role, content} messages).
 *
 *  - SFT (SFTTrainer):  {"messages": [user, assistant], ...metadata}
 *  - DPO (DPOTrainer):  {"prompt": [user], "chosen": [assistant], "rejected": [assistant], ...}
 *  - responses:         every scored response, with its place in the search
 *  - trees:             one row per TOA prompt with its search tree
 *
 * Ranking (the paper's data-synthesis rule): responses sorted by raw reward, highest first, ties
 * broken by generation order (earlier first; the same rule that picks `bestId`). Rank 1 is the
 * chosen response; rank `rejectedRank` (1-based, default 30) is the rejected one.
 */
import type { RecordedResponse } from '../common/records';
import type { ColumnDef } from './schema';
import { responseText, type LoadedRecord, type TextCache } from './load';

export type ExportFormat = 'sft' | 'dpo' | 'responses' | 'trees';
export const EXPORT_FORMATS: readonly ExportFormat[] = ['sft', 'dpo', 'responses', 'trees'];
export const DEFAULT_REJECTED_RANK = 30;

const message = { struct: { role: 'string', content: 'string' } } as const;
const messages = { list: message } as const;

const runColumns: ColumnDef[] = [
  { name: 'prompt_id', type: 'string', description: 'Dataset id of the prompt' },
  { name: 'method', type: 'string', description: 'Method label (toa, random, ensemble, ...)' },
  { name: 'budget', type: 'int', description: 'Generations per prompt (N)' },
  { name: 'seed', type: 'int', description: 'PRNG seed of the run' },
];

export const COLUMNS: Record<ExportFormat, ColumnDef[]> = {
  sft: [
    {
      name: 'messages',
      type: messages,
      description: 'TRL conversational SFT: [{role: user, content: prompt}, {role: assistant, content: best response}]',
    },
    ...runColumns,
    { name: 'reward', type: 'double', description: 'Raw reward of the best response' },
    { name: 'response_id', type: 'string', description: 'Id of the best response within its search (r0, r1, ...)' },
    { name: 'agent', type: 'string', description: 'Agent that wrote the best response' },
    { name: 'num_responses', type: 'int', description: 'Responses scored for this prompt' },
  ],
  dpo: [
    { name: 'prompt', type: messages, description: 'TRL conversational preference: [{role: user, content: prompt}]' },
    { name: 'chosen', type: messages, description: '[{role: assistant, content: rank-1 response}]' },
    {
      name: 'rejected',
      type: messages,
      description: '[{role: assistant, content: rank-R response}] (R = rejected rank, or the last rank when fewer responses)',
    },
    { name: 'score_chosen', type: 'double', description: 'Raw reward of the chosen response' },
    { name: 'score_rejected', type: 'double', description: 'Raw reward of the rejected response' },
    ...runColumns,
    { name: 'chosen_id', type: 'string', description: 'Response id of the chosen response' },
    { name: 'rejected_id', type: 'string', description: 'Response id of the rejected response' },
    { name: 'chosen_agent', type: 'string', description: 'Agent of the chosen response' },
    { name: 'rejected_agent', type: 'string', description: 'Agent of the rejected response' },
    { name: 'rejected_rank', type: 'int', description: 'Rank (1-based) of the rejected response actually used' },
    { name: 'num_responses', type: 'int', description: 'Responses scored for this prompt' },
  ],
  responses: [
    ...runColumns,
    { name: 'prompt', type: 'string', description: 'Prompt text (the raw dataset prompt)' },
    { name: 'response_id', type: 'string', description: 'Response id within its search (r0, r1, ...; the action id)' },
    { name: 'agent', type: 'string', description: 'Agent that wrote it' },
    { name: 'kind', type: 'string', description: 'fresh | refine | aggregate' },
    {
      name: 'inputs',
      type: { list: 'string' },
      description: 'Response ids it read: [] fresh, [parent] refine, the K inputs for aggregate',
    },
    { name: 'parent_id', type: 'string', description: 'The refined response (refine only), else null' },
    { name: 'order', type: 'int', description: 'Order of observation (0-based)' },
    { name: 'reward', type: 'double', description: 'Raw reward' },
    { name: 'normalized_reward', type: 'double', description: 'sigmoid(reward / tau) for TOA, else null' },
    { name: 'rank', type: 'int', description: 'Rank by raw reward within its prompt (1 = best; ties by order)' },
    { name: 'is_best', type: 'bool', description: 'True for the output (best) response' },
    { name: 'prompt_tokens', type: 'int', description: 'Prompt tokens of the generation call' },
    { name: 'completion_tokens', type: 'int', description: 'Completion tokens of the generation call' },
    { name: 'latency_ms', type: 'double', description: 'Latency of the generation call' },
    { name: 'text', type: 'string', description: 'Response text' },
  ],
  trees: [
    ...runColumns,
    { name: 'prompt', type: 'string', description: 'Prompt text' },
    { name: 'best_id', type: 'string', description: 'Response id of the best response' },
    { name: 'best_reward', type: 'double', description: 'Its raw reward' },
    { name: 'num_nodes', type: 'int', description: 'Nodes in the tree' },
    {
      name: 'tree',
      type: {
        struct: {
          nodes: {
            list: {
              struct: {
                id: 'string',
                type: 'string',
                parent: 'string',
                agent: 'string',
                kind: 'string',
                responseId: 'string',
                visits: 'int',
                rewards: { list: 'double' },
                value: 'double',
                layer: 'int',
                reward: 'double',
                normalizedReward: 'double',
                failedPlays: { list: 'string' },
              },
            },
          },
          edges: { list: { list: 'string' } },
        },
      },
      description:
        'The TOA tree as in docs/result-format.md: nodes (root / model / response, visits, backed-up rewards, value, failed plays of model nodes) and [parent, child] edges',
    },
  ],
};

/** Responses by rank: raw reward descending, generation order ascending on ties. */
export function rankResponses<T extends Pick<RecordedResponse, 'reward' | 'order'>>(responses: readonly T[]): T[] {
  return [...responses].sort((a, b) => b.reward - a.reward || a.order - b.order);
}

export type Row = Record<string, unknown>;

function runFields(r: LoadedRecord): Row {
  return { prompt_id: r.promptId, method: r.method, budget: r.budget, seed: r.seed };
}

export async function sftRow(r: LoadedRecord, texts: TextCache): Promise<Row | undefined> {
  const best = r.result.responses.find((x) => x.id === r.result.bestId);
  if (!best) return undefined;
  const prompt = await texts.get(r.promptRef, `the prompt of ${r.workflowId}`);
  const answer = typeof r.bestText === 'string' ? r.bestText : await responseText(r, best, texts);
  return {
    messages: [
      { role: 'user', content: prompt },
      { role: 'assistant', content: answer },
    ],
    ...runFields(r),
    reward: best.reward,
    response_id: best.id,
    agent: best.agent,
    num_responses: r.result.responses.length,
  };
}

export type DpoSkip = 'single-response' | 'tie';

/** What the DPO rule picks for one prompt (pure: no texts). */
export type DpoPick =
  | { ok: true; chosen: RecordedResponse; rejected: RecordedResponse; rejectedRank: number; fallback: boolean }
  | { ok: false; reason: DpoSkip };

/**
 * chosen = rank 1; rejected = rank `rejectedRank`, or the last rank when the prompt has fewer
 * responses (`fallback`). Skipped: fewer than two responses, or equal raw rewards.
 */
export function pickPreference(responses: readonly RecordedResponse[], rejectedRank: number): DpoPick {
  if (!Number.isInteger(rejectedRank) || rejectedRank < 2)
    throw new Error(`rejectedRank must be an integer ≥ 2, got ${rejectedRank}`);
  if (responses.length < 2) return { ok: false, reason: 'single-response' };
  const ranked = rankResponses(responses);
  const rank = Math.min(rejectedRank, ranked.length);
  const chosen = ranked[0]!;
  const rejected = ranked[rank - 1]!;
  if (chosen.reward === rejected.reward) return { ok: false, reason: 'tie' };
  return { ok: true, chosen, rejected, rejectedRank: rank, fallback: rank < rejectedRank };
}

export async function dpoRow(r: LoadedRecord, pick: Extract<DpoPick, { ok: true }>, texts: TextCache): Promise<Row> {
  const [prompt, chosen, rejected] = await Promise.all([
    texts.get(r.promptRef, `the prompt of ${r.workflowId}`),
    responseText(r, pick.chosen, texts),
    responseText(r, pick.rejected, texts),
  ]);
  return {
    prompt: [{ role: 'user', content: prompt }],
    chosen: [{ role: 'assistant', content: chosen }],
    rejected: [{ role: 'assistant', content: rejected }],
    score_chosen: pick.chosen.reward,
    score_rejected: pick.rejected.reward,
    ...runFields(r),
    chosen_id: pick.chosen.id,
    rejected_id: pick.rejected.id,
    chosen_agent: pick.chosen.agent,
    rejected_agent: pick.rejected.agent,
    rejected_rank: pick.rejectedRank,
    num_responses: responsesCount(r),
  };
}

function responsesCount(r: LoadedRecord): number {
  return r.result.responses.length;
}

export async function responseRows(r: LoadedRecord, texts: TextCache): Promise<Row[]> {
  const prompt = await texts.get(r.promptRef, `the prompt of ${r.workflowId}`);
  const rankOf = new Map(rankResponses(r.result.responses).map((x, i) => [x.id, i + 1]));
  const byOrder = [...r.result.responses].sort((a, b) => a.order - b.order);
  const out: Row[] = [];
  for (const x of byOrder) {
    out.push({
      ...runFields(r),
      prompt,
      response_id: x.id,
      agent: x.agent,
      kind: x.kind,
      inputs: x.inputs,
      parent_id: x.kind === 'refine' ? (x.inputs[0] ?? null) : null,
      order: x.order,
      reward: x.reward,
      normalized_reward: x.normalizedReward ?? null,
      rank: rankOf.get(x.id),
      is_best: x.id === r.result.bestId,
      prompt_tokens: x.promptTokens,
      completion_tokens: x.completionTokens,
      latency_ms: x.latencyMs,
      text: await responseText(r, x, texts),
    });
  }
  return out;
}

export async function treeRow(r: LoadedRecord, texts: TextCache): Promise<Row | undefined> {
  const tree = r.result.tree;
  if (!tree) return undefined;
  return {
    ...runFields(r),
    prompt: await texts.get(r.promptRef, `the prompt of ${r.workflowId}`),
    best_id: r.result.bestId,
    best_reward: r.result.bestReward,
    num_nodes: tree.nodes.length,
    // failedPlays: [] rather than absent, so Parquet (where a null nested list reads back as
    // missing) and JSONL rows stay the same.
    tree: { nodes: tree.nodes.map((n) => ({ ...n, failedPlays: n.failedPlays ?? [] })), edges: tree.edges },
  };
}
