/**
 * `toa run`: one prompt, one method, one budget, through the same promptSearch workflow a sweep
 * uses. Its workflow ID is derived from its inputs, so running the same command again after a
 * crash attaches to the search in progress instead of paying for it twice.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import { openStore } from '../store';
import { methodLabelOf } from '../search/methods';
import { promptSearch, type PromptSearchInput } from '../workflows/promptSearch';
import { MAIN_TASK_QUEUE } from '../common/taskQueues';
import { searchAttributeUpdates } from '../common/searchAttributes';
import { failureOf } from '../common/failures';
import type { PromptSummary } from '../common/records';
import { locationsOf, storeTemplates } from './plan';
import { preflightConfig } from './preflight';

export interface RunOneOptions {
  config: string;
  prompt: string;
  reference?: string;
  method?: string;
  budget?: number;
  seed?: number;
}

export interface RunOneResult {
  workflowId: string;
  summary: PromptSummary;
  bestText: string;
}

export async function runOne(client: Client, opts: RunOneOptions, onStarted?: (workflowId: string) => void): Promise<RunOneResult> {
  const pre = await preflightConfig(opts.config, process.env);
  const { loaded } = pre;
  const { config } = loaded;
  const method = opts.method ? config.methods.find((m) => methodLabelOf(m) === opts.method) : config.methods[0];
  if (!method) throw new Error(`--method: no method labelled "${opts.method}" in ${loaded.file} (have: ${config.methods.map(methodLabelOf).join(', ')})`);
  const budget = opts.budget ?? config.budgets[0];
  const seed = opts.seed ?? config.seeds[0];
  const locations = locationsOf(loaded.outputDir, 'single-runs');
  const store = openStore(locations.store);
  const promptRef = await store.put(opts.prompt);
  const referenceRef = opts.reference === undefined ? undefined : await store.put(opts.reference);
  const templates = await storeTemplates(pre.templates, locations.store);
  // Template texts are part of what is run: an edited template is another run, not the finished one.
  const identity = JSON.stringify({
    hash: loaded.contentHash,
    promptRef,
    referenceRef,
    method: methodLabelOf(method),
    budget,
    seed,
    ...(Object.keys(templates).length > 0 ? { templates } : {}),
  });
  const workflowId = `run-${methodLabelOf(method)}-b${budget}-s${seed}-${createHash('sha256').update(identity).digest('hex').slice(0, 12)}`;
  const input: PromptSearchInput = {
    promptId: promptRef.slice(0, 12),
    promptRef,
    referenceRef,
    method,
    budget,
    seed,
    agents: config.agents,
    reward: config.reward,
    store: locations.store,
    templates,
    recordsDir: path.join(locations.outputDir, 'single-runs', 'records'),
    retry: config.retry,
    onPlayFailure: config.onPlayFailure,
  };
  const handle = await client.workflow.start(promptSearch, {
    workflowId,
    taskQueue: MAIN_TASK_QUEUE,
    args: [input],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE_FAILED_ONLY,
    typedSearchAttributes: searchAttributeUpdates({ method: methodLabelOf(method), budget, seed, status: 'running', generations: 0 }),
    staticSummary: `toa run: ${methodLabelOf(method)} b${budget} s${seed}`,
  }).catch(async (err) => {
    // Already completed earlier: its result is still there to read.
    if ((err as Error).name === 'WorkflowExecutionAlreadyStartedError') return client.workflow.getHandle<typeof promptSearch>(workflowId);
    throw err;
  });
  onStarted?.(workflowId);
  // A failed search names its root cause (e.g. the endpoint URL that could not be reached),
  // not just "Workflow execution failed".
  const summary = await handle.result().catch((err: unknown) => {
    const cause = failureOf(err);
    throw new Error(`workflow ${workflowId} failed: ${cause.type}: ${cause.message}`, { cause: err });
  });
  const bestText = await store.get(summary.bestRef);
  return { workflowId, summary, bestText };
}
