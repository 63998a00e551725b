/** Signals and queries shared by the sweep workflow, its children and the client. */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { PromptSummary } from '../common/records';
import type { SweepProgress } from './sweepState';

/** `runId` is the child's first execution run ID: a stale report from an earlier run is ignored. */
export type ChildDone =
  | { workflowId: string; runId?: string; ok: true; summary: PromptSummary }
  | { workflowId: string; runId?: string; ok: false; error: { type: string; message: string } };

export const childDoneSignal = defineSignal<[ChildDone]>('childDone');
export const sweepPauseSignal = defineSignal('pauseSweep');
export const sweepResumeSignal = defineSignal('resumeSweep');
export const sweepCancelSignal = defineSignal('cancelSweep');
/** Re-queue every failed prompt of a running sweep (after, say, a fixed API key). */
export const sweepRetrySignal = defineSignal('retryFailed');
export const sweepProgressQuery = defineQuery<SweepProgress>('sweepProgress');
