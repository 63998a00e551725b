/** The record each finished prompt writes (one JSON file per prompt workflow), and its summary. */
import type { FailedPlayRecord, ResponseRecord, SearchResult } from '../search/types';
import type { ComputeTotals } from './compute';
import { methodLabelOf, type MethodSpec } from '../search/methods';
import type { RecordDigests } from './reuse';

export interface RecordedResponse extends ResponseRecord {
  /** sha256 of the response text (its key in the store while the prompt ran). */
  ref: string;
  /**
   * The response text. Records of earlier releases have none: their texts stay in the store's
   * global texts under `ref`.
   */
  text?: string;
  preview: string;
  latencyMs: number;
}

/** A failed play as the record keeps it (docs/result-format.md, `failedPlays`). */
export interface RecordedFailedPlay extends FailedPlayRecord {
  /**
   * Tokens of its generation: when the generation succeeded and the reward failed, they were
   * paid and count in `compute`; 0 when the generation itself failed.
   */
  promptTokens: number;
  completionTokens: number;
  /** Store key (sha256) of the generated text, when the generation succeeded. */
  ref?: string;
  /** The generated text itself (paid for, kept in the record like the responses'), when the generation succeeded. */
  text?: string;
}

export interface PromptRecordHeader {
  workflowId: string;
  sweepId?: string;
  promptId: string;
  method: string;
  methodSpec: MethodSpec;
  budget: number;
  seed: number;
  /**
   * The seed the strategy ran with: the prompt's search seed (promptSearchSeed(seed, promptId)),
   * or, for prompts started before per-prompt seeding, the run's seed itself.
   */
  searchSeed: number;
  promptRef: string;
  referenceRef?: string;
  /**
   * What produced the record (method, agents, reward, templates, prompt and reference texts),
   * so a sweep never reuses it for other inputs. Absent in records of releases before 0.2.
   */
  digests?: RecordDigests;
}

/** One file per finished prompt: documented in docs/result-format.md. */
export interface PromptRecord extends PromptRecordHeader {
  result: Omit<SearchResult, 'responses' | 'failedPlays'> & { responses: RecordedResponse[]; failedPlays?: RecordedFailedPlay[] };
  compute: ComputeTotals;
  /** Text of the best response (also in every response since 0.2; kept for readers of 0.1 records). */
  bestText: string;
  /**
   * Store key of the play context the plays ran with (their memos are named after it), so a
   * later run of the finished prompt (a workflow reset) can reuse what the record holds.
   * Absent in records of releases before prompt scopes.
   */
  contextRef?: string;
}

/** What a prompt workflow returns and reports to its sweep: small, no texts. */
export interface PromptSummary {
  workflowId: string;
  promptId: string;
  method: string;
  budget: number;
  seed: number;
  bestReward: number;
  bestAgent: string;
  bestRef: string;
  /** Scored responses (failed plays not included). */
  generations: number;
  /** Plays that failed (onPlayFailure: continue); absent in summaries of earlier releases (none). */
  failedPlays?: number;
  /** The failed plays by failure type; absent when none failed. */
  failedPlaysByType?: Record<string, number>;
  compute: ComputeTotals;
  recordPath: string;
}

/** The summary of a finished prompt, derived from its record (used live and when reusing records). */
export function summaryOf(record: PromptRecord, recordPath: string): PromptSummary {
  const best = record.result.responses.find((r) => r.id === record.result.bestId);
  const failed = record.result.failedPlays ?? [];
  const byType: Record<string, number> = {};
  for (const f of failed) byType[f.error.type] = (byType[f.error.type] ?? 0) + 1;
  return {
    workflowId: record.workflowId,
    promptId: record.promptId,
    method: record.method,
    budget: record.budget,
    seed: record.seed,
    bestReward: record.result.bestReward,
    bestAgent: best?.agent ?? '',
    bestRef: best?.ref ?? '',
    generations: record.result.responses.length,
    failedPlays: failed.length,
    ...(failed.length > 0 ? { failedPlaysByType: byType } : {}),
    compute: record.compute,
    recordPath,
  };
}

/** The record header of one prompt search, from its input (shared by the workflow and the bench loop). */
export function recordHeaderOf(
  input: Pick<PromptRecordHeader, 'sweepId' | 'promptId' | 'budget' | 'seed' | 'searchSeed' | 'promptRef' | 'referenceRef'> & {
    method: MethodSpec;
  },
  workflowId: string,
): PromptRecordHeader {
  return {
    workflowId,
    sweepId: input.sweepId,
    promptId: input.promptId,
    method: methodLabelOf(input.method),
    methodSpec: input.method,
    budget: input.budget,
    seed: input.seed,
    searchSeed: input.searchSeed,
    promptRef: input.promptRef,
    referenceRef: input.referenceRef,
  };
}
