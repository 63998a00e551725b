/**
 * The activities workflows call, as types only (workflows never import activity code).
 * src/worker/activities.ts builds an object that must satisfy this interface.
 */
import type { GenerateInput, GenerateOutput, PlayInput, PlayOutput, PutPlayContextInput, ScoreInput, ScoreOutput, StoreSpec } from '../activities/types';
import type { AgentConfig, DatasetSpec } from '../config/schema';
import type { TraceStep } from '../search/replay';
import type { CallRecord } from '../common/compute';
import type { PromptRecordHeader, PromptSummary } from '../common/records';

export interface WritePromptRecordInput {
  recordsDir: string;
  store: StoreSpec;
  header: PromptRecordHeader;
  agents: AgentConfig[];
  /** The driver's interleaving of next() and observe(), to rebuild the result and tree. */
  trace: TraceStep[];
  /** Two-activity path: every call's facts. */
  calls?: CallRecord[];
  /**
   * One-activity-per-play path: each play's generation facts are read from its memo in the
   * store; the rewards (as the search observed them, in trace order) come from the workflow, so
   * a record never depends on a run-scoped memo (a reset workflow has a new run ID).
   */
  memos?: { contextRef: string; rewards: number[] };
}

export interface DatasetPageInput {
  /** dataset.path is absolute here. */
  dataset: DatasetSpec;
  store: StoreSpec;
  cursor: number;
  pageSize: number;
  /** Workflow IDs of the jobs of each prompt are `${jobPrefix}/${jobKey}/${promptId}`; finished ones are reported. */
  recordsDir: string;
  jobPrefix: string;
  jobKeys: string[];
}

export interface DatasetPageItem {
  promptId: string;
  line: number;
  promptRef: string;
  referenceRef?: string;
  /** Summaries of this prompt's jobs that already have a record (keyed by job key): never re-run. */
  finished: Record<string, PromptSummary>;
}

export interface DatasetPageOutput {
  items: DatasetPageItem[];
  problems: Array<{ line: number; message: string }>;
  nextCursor: number | null;
}

export interface ToaActivities {
  generate(input: GenerateInput): Promise<GenerateOutput>;
  score(input: ScoreInput): Promise<ScoreOutput>;
  /** Generation + reward in one activity (workflows since the 'one-activity-per-play' patch). */
  play(input: PlayInput): Promise<PlayOutput>;
  /** Local activity: stores a prompt's PlayContext once, returns its store key. */
  putPlayContext(input: PutPlayContextInput): Promise<string>;
  writePromptRecord(input: WritePromptRecordInput): Promise<{ path: string; summary: PromptSummary }>;
  loadDatasetPage(input: DatasetPageInput): Promise<DatasetPageOutput>;
}
