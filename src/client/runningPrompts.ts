/**
 * What a sweep's running prompt workflows have done so far, read from their search attributes
 * (ToaGenerations, upserted as plays complete), so progress moves while prompts run instead of
 * only when one finishes. One visibility query: the window holds at most `maxRunningPrompts` rows.
 */
import type { Client } from '@temporalio/client';
import { ToaSearchAttributes } from '../common/searchAttributes';

export interface RunningPrompts {
  prompts: number;
  generations: number;
}

export async function runningPrompts(client: Client, sweepId: string): Promise<RunningPrompts> {
  const out: RunningPrompts = { prompts: 0, generations: 0 };
  const query = `${ToaSearchAttributes.sweepId.name} = ${JSON.stringify(sweepId)} AND WorkflowType = "promptSearch" AND ExecutionStatus = "Running"`;
  for await (const wf of client.workflow.list({ query })) {
    out.prompts += 1;
    out.generations += wf.typedSearchAttributes.get(ToaSearchAttributes.generations) ?? 0;
  }
  return out;
}
