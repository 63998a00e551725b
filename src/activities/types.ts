/**
 * Inputs and outputs of every activity. Workflows import these types (type-only) and call
 * activities through proxyActivities; nothing here may carry a secret or a long text:
 * texts live in the content-addressed response store and travel as references.
 */
import type { AgentConfig, DatasetSpec, RewardSpec } from '../config/schema';
import type { ComputeTotals } from '../common/compute';
import type { PromptRecordHeader, PromptSummary } from '../common/records';
import type { TraceStep } from '../search/driver';
import type { Action, PlayFailure } from '../search/types';
import type { StoreSpec, TemplateRefs } from '../common/store';
import type { DatasetFingerprint, ReusePolicy } from '../common/reuse';
import type { DatasetCursor } from '../common/datasetCursor';

export type { StoreSpec, TemplateRefs };

export interface GenerateInput {
  /** Endpoint and sampling settings; the API key is read by the worker from agent.apiKeyEnv. */
  agent: AgentConfig;
  store: StoreSpec;
  /** The prompt workflow the play belongs to: its inputs are read from that prompt's scope. Absent: from the global texts. */
  workflowId?: string;
  /** Store key of the original prompt text. */
  promptRef: string;
  action: Action;
  /** Store keys of action.inputs, same order. */
  inputRefs: string[];
  templates: TemplateRefs;
  /** Per-call seed derived from the search seed and the action id (endpoints that honour it are reproducible). */
  seed?: number;
  /** For logs and the UI summary only. */
  label?: string;
}

export interface GenerateOutput {
  /** sha256 of the generated text (its key once stored). */
  ref: string;
  /** The generated text (not stored yet: the caller memoises it). */
  text: string;
  /** First ~80 characters, for the UI. */
  preview: string;
  promptTokens: number;
  completionTokens: number;
  latencyMs: number;
  finishReason: string;
}

export interface ScoreInput {
  reward: RewardSpec;
  store: StoreSpec;
  promptRef: string;
  responseRef: string;
  /** The response's text when the caller has it (then it is not read back from the store). */
  response?: string;
  referenceRef?: string;
  promptId?: string;
  /** Agent model name that produced the response. */
  model?: string;
}

export interface ScoreOutput {
  reward: number;
}

/**
 * What every play of one prompt shares, stored once in the response store (JSON) by the
 * workflow's first step, so each play's input carries only its key.
 */
export interface PlayContext {
  agents: AgentConfig[];
  reward: RewardSpec;
  templates: TemplateRefs;
  promptId: string;
  promptRef: string;
  referenceRef?: string;
  /** The search seed; each call's seed is derived from it, the prompt id and the action id. */
  seed: number;
}

export interface PutPlayContextInput {
  store: StoreSpec;
  context: PlayContext;
}

/** One play = one generation by one agent + its reward, in a single activity. */
export interface PlayInput {
  store: StoreSpec;
  /** Store key of the PlayContext JSON. */
  contextRef: string;
  /** action.agent is resolved in the context. */
  action: Action;
  /** Store keys of action.inputs, same order. */
  inputRefs: string[];
}

/** What the search needs to go on; latency and the rest stay in the store's memos. */
export interface PlayOutput {
  /** sha256 of the generated text (its key in the prompt's scope of the store). */
  ref: string;
  promptTokens: number;
  completionTokens: number;
  reward: number;
}

export interface WritePromptRecordInput {
  recordsDir: string;
  store: StoreSpec;
  header: PromptRecordHeader;
  agents: AgentConfig[];
  /** The driver's interleaving of next() and observe(), to rebuild the result and tree. */
  trace: TraceStep[];
  /** Store key of the prompt's play context (the plays' memos are named after it). */
  contextRef: string;
  /**
   * The rewards as the search observed them, in trace order; null for a play that failed
   * (onPlayFailure: continue). Each play's generation facts are read from its memo in the store;
   * the rewards come from the workflow, so a record never depends on a run-scoped memo (a reset
   * workflow has a new run ID).
   */
  rewards: Array<number | null>;
  /** Why each failed play failed, by action id (absent when none did). */
  failures?: Record<string, PlayFailure>;
}

/** Finished jobs a dataset page found on disk, summed (the sweep needs no more of them). */
export interface ReusedTotals {
  count: number;
  compute: ComputeTotals;
  cells: Array<{ method: string; budget: number; count: number; sumBest: number; maxBest: number }>;
}

export interface DatasetPageInput {
  /** dataset.path is absolute here. */
  dataset: DatasetSpec;
  store: StoreSpec;
  /** Where the page starts; a bare byte offset is a cursor of release 0.1 (0: the start). */
  cursor: DatasetCursor | number;
  pageSize: number;
  /** Workflow IDs of the jobs of each prompt are `${jobPrefix}/${jobKey}/${promptId}`; finished ones are reported. */
  recordsDir: string;
  jobPrefix: string;
  jobKeys: string[];
  /** Which existing records count as finished (absent: any record of the job, as in release 0.1). */
  reuse?: ReusePolicy;
  /** The dataset as it was when the sweep started: a changed file fails the page, naming it. */
  datasetFingerprint?: DatasetFingerprint;
  /**
   * 'totals': report finished jobs as page totals (`reused`) and each prompt's jobs to run
   * (`pending`). Without it (sweeps of the previous release), one summary per finished job.
   */
  report?: 'totals';
}

export interface DatasetPageItem {
  promptId: string;
  line: number;
  promptRef: string;
  referenceRef?: string;
  /** Indices into `jobKeys` of this prompt's jobs to run (with `report: 'totals'`; `rerun` ones included). */
  pending?: number[];
  /** Summaries of this prompt's jobs that already have a record (keyed by job key; without `report`). */
  finished?: Record<string, PromptSummary>;
  /**
   * Job keys whose record must be replaced: produced with other inputs (under `rerunChanged`)
   * or damaged. Their workflows may have completed before, so they are started again anyway.
   */
  rerun?: string[];
}

export interface DatasetPageOutput {
  items: DatasetPageItem[];
  problems: Array<{ line: number; message: string }>;
  nextCursor: DatasetCursor | null;
  /** With `report: 'totals'`: the page's finished jobs, summed. */
  reused?: ReusedTotals;
}

/** A failed job as the failures file keeps it (one JSON line each). */
export interface FailureLine {
  workflowId: string;
  promptId: string;
  promptRef: string;
  referenceRef?: string;
  methodIndex: number;
  budget: number;
  seed: number;
  runId?: string;
  error: { type: string; message: string };
}

export interface FailuresFileSpec {
  /** Absolute path; default `failures.jsonl` beside `recordsDir`. */
  failuresFile?: string;
  recordsDir: string;
}

/**
 * Appends failures at `offset`, idempotently: a retried attempt whose lines are already there
 * changes nothing, and a torn write (a worker killed mid-append) is cut off first. An offset of
 * 0 starts the file afresh (a new execution of the sweep).
 */
export interface AppendFailuresInput extends FailuresFileSpec {
  offset: number;
  lines: FailureLine[];
}

export interface AppendFailuresOutput {
  /** The file's length after the append. */
  bytes: number;
}

export interface ReadFailuresInput extends FailuresFileSpec {
  from: number;
  to: number;
  maxLines: number;
}

export interface ReadFailuresOutput {
  lines: FailureLine[];
  /** Byte offset after the last line returned. */
  next: number;
}

/** What Temporal (or, failing that, the records folder) says about prompt workflows the sweep counts as running. */
export interface DescribePromptWorkflowsInput {
  workflowIds: string[];
  recordsDir: string;
}

export type PromptWorkflowState =
  | { workflowId: string; state: 'running'; runId?: string }
  | { workflowId: string; state: 'completed'; runId?: string; summary: PromptSummary }
  | { workflowId: string; state: 'failed'; runId?: string; error: { type: string; message: string } };
