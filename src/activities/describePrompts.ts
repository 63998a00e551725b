/**
 * How did the prompt workflows a sweep counts as running really end? Asked by the sweep when it
 * has no live handle on them: children started before a continue-as-new, or by an earlier
 * execution of the sweep (`toa sweep retry` after a terminate), report by signal, and a child
 * that was terminated, or whose report was lost, never does. Temporal's own description of each
 * child is the answer; when Temporal no longer knows the workflow (retention), its record is.
 */
import { Context } from '@temporalio/activity';
import { WorkflowFailedError, WorkflowNotFoundError, type Client } from '@temporalio/client';
import { CancelledFailure, TerminatedFailure, TimeoutFailure } from '@temporalio/common';
import { failureOf } from '../common/failures';
import { summaryOf, type PromptRecord, type PromptSummary } from '../common/records';
import { readRecord } from '../store/records';
import type { DescribePromptWorkflowsInput, PromptWorkflowState } from './types';

export async function describePromptWorkflows(input: DescribePromptWorkflowsInput): Promise<PromptWorkflowState[]> {
  const client = Context.current().client;
  const out: PromptWorkflowState[] = [];
  for (const workflowId of input.workflowIds) {
    out.push(await describeOne(client, workflowId, input.recordsDir));
    Context.current().heartbeat();
  }
  return out;
}

async function describeOne(client: Client, workflowId: string, recordsDir: string): Promise<PromptWorkflowState> {
  const handle = client.workflow.getHandle(workflowId);
  let status: string;
  let runId: string | undefined;
  try {
    const d = await handle.describe();
    status = d.status.name;
    runId = d.raw.workflowExecutionInfo?.firstRunId || d.runId;
  } catch (err) {
    if (!(err instanceof WorkflowNotFoundError)) throw err;
    const found = await readRecord<PromptRecord>(recordsDir, workflowId);
    if (found) return { workflowId, state: 'completed', summary: summaryOf(found.record, found.path) };
    return { workflowId, state: 'failed', error: { type: 'Lost', message: `Temporal has no workflow ${workflowId} and it wrote no record` } };
  }
  if (status === 'RUNNING' || status === 'CONTINUED_AS_NEW' || status === 'PAUSED') return { workflowId, state: 'running', runId };
  try {
    const summary = (await handle.result()) as PromptSummary;
    return { workflowId, state: 'completed', runId, summary };
  } catch (err) {
    return { workflowId, state: 'failed', runId, error: endOf(err, status) };
  }
}

function endOf(err: unknown, status: string): { type: string; message: string } {
  const cause = err instanceof WorkflowFailedError ? err.cause : err;
  if (cause instanceof TerminatedFailure) return { type: 'Terminated', message: `the prompt workflow was terminated${cause.message ? `: ${cause.message}` : ''}` };
  if (cause instanceof CancelledFailure) return { type: 'Cancelled', message: 'the prompt workflow was cancelled' };
  if (cause instanceof TimeoutFailure) return { type: 'Timeout', message: 'the prompt workflow timed out' };
  if (status === 'TERMINATED') return { type: 'Terminated', message: 'the prompt workflow was terminated' };
  return failureOf(cause);
}
