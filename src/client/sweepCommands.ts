/**
 * `toa sweep start|status|watch|pause|resume|cancel|retry|open`: sweep control through the
 * Temporal client. Starting is idempotent: the same file gives the same sweep ID, and starting
 * it again attaches to the running or finished sweep.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import { preflightSweep } from './preflight';
import { MAIN_TASK_QUEUE } from '../common/taskQueues';
import { sweep, type SweepInput } from '../workflows/sweep';
import {
  sweepCancelSignal,
  sweepPauseSignal,
  sweepProgressQuery,
  sweepResumeSignal,
  sweepRetrySignal,
} from '../workflows/signals';
import type { SweepProgress } from '../workflows/sweepState';
import { searchAttributeUpdates } from '../common/searchAttributes';
import { buildPlan, sweepIdOf } from './plan';
import { rememberSweep } from './sweepIndex';

export interface StartResult {
  sweepId: string;
  handle: WorkflowHandle<typeof sweep>;
  /** 'started', 'attached' (already running), 'finished' (already done: see retry), 'restarted' (retry of a closed sweep). */
  outcome: 'started' | 'attached' | 'finished' | 'restarted';
}

export async function startSweep(
  client: Client,
  file: string,
  opts: { id?: string; env?: NodeJS.ProcessEnv; restartClosed?: boolean } = {},
): Promise<StartResult> {
  const loaded = await preflightSweep(file, opts.env ?? process.env);
  const sweepId = sweepIdOf(loaded, opts.id);
  const { plan, locations } = await buildPlan(loaded, sweepId);
  await rememberSweep({ sweepId, file: loaded.file, outputDir: locations.outputDir, recordsDir: locations.recordsDir, storeRoot: locations.store.root });
  const existing = client.workflow.getHandle<typeof sweep>(sweepId);
  const status = await describeStatus(existing);
  if (status === 'RUNNING') return { sweepId, handle: existing, outcome: 'attached' };
  if (status !== undefined && !opts.restartClosed) return { sweepId, handle: existing, outcome: 'finished' };
  const input: SweepInput = { sweepId, plan };
  try {
    const handle = await client.workflow.start(sweep, {
      workflowId: sweepId,
      taskQueue: MAIN_TASK_QUEUE,
      args: [input],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      typedSearchAttributes: searchAttributeUpdates({ sweepId, status: 'running' }),
      memo: { sweepFile: loaded.file, sweepFileHash: loaded.contentHash, outputDir: locations.outputDir },
      staticSummary: `sweep ${plan.name}: ${plan.methods.length} methods × ${plan.budgets.length} budgets × ${plan.seeds.length} seeds`,
    });
    return { sweepId, handle, outcome: status === undefined ? 'started' : 'restarted' };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { sweepId, handle: existing, outcome: 'attached' };
    throw err;
  }
}

async function describeStatus(handle: WorkflowHandle): Promise<string | undefined> {
  try {
    return (await handle.describe()).status.name;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

const PROGRESS_QUERY_TIMEOUT_MS = 15_000;

/** Progress of a running sweep (query) or a closed one (its result). */
export async function sweepProgress(client: Client, sweepId: string): Promise<SweepProgress> {
  const handle = client.workflow.getHandle<typeof sweep>(sweepId);
  const status = await describeStatus(handle);
  if (status === undefined) throw new Error(`no sweep with id "${sweepId}" on this Temporal server`);
  if (status === 'RUNNING') {
    // The progress query is answered by a worker: say so plainly when none is running.
    // Bounded: the server alone may take a minute to give up on a query nobody picks up.
    const query = client.connection.withDeadline(Date.now() + PROGRESS_QUERY_TIMEOUT_MS, () => handle.query(sweepProgressQuery));
    return query.catch((err: unknown) => {
      // A ServiceError is the query call failing (FAILED_PRECONDITION "no poller seen for task
      // queue recently", DEADLINE_EXCEEDED, the server timing the query out), as opposed to the
      // workflow's query handler failing: in practice, no worker picked it up.
      if ((err as Error).name !== 'ServiceError') throw err;
      const cause = (err as { cause?: { code?: number; details?: string } }).cause;
      throw new NoWorkerError(
        sweepId,
        cause?.code === 4 ? `not answered within ${PROGRESS_QUERY_TIMEOUT_MS / 1000} s` : (cause?.details || (err as Error).message),
      );
    });
  }
  if (status === 'COMPLETED') return handle.result();
  throw new Error(`sweep "${sweepId}" is ${status.toLowerCase()}; \`toa sweep retry ${sweepId}\` runs it again, reusing every finished prompt`);
}

/** The sweep is running but no worker answers its progress query (all workers stopped or crashed). */
export class NoWorkerError extends Error {
  override readonly name = 'NoWorkerError';
  constructor(sweepId: string, details: string) {
    super(
      `sweep "${sweepId}" is running but no worker answered its progress query (${details}); ` +
        'if no worker is running, start one with `toa worker -c <sweep file>`: the sweep continues where it stopped',
    );
  }
}

export async function signalSweep(client: Client, sweepId: string, what: 'pause' | 'resume' | 'cancel'): Promise<void> {
  const handle = client.workflow.getHandle(sweepId);
  const signal = what === 'pause' ? sweepPauseSignal : what === 'resume' ? sweepResumeSignal : sweepCancelSignal;
  await handle.signal(signal);
}

/**
 * Re-runs failed prompts. A running sweep re-queues them at once; a closed sweep is run again
 * from its file, which skips every prompt that already has a record.
 */
export async function retrySweep(client: Client, sweepId: string, file: string | undefined): Promise<string> {
  const handle = client.workflow.getHandle(sweepId);
  const status = await describeStatus(handle);
  if (status === 'RUNNING') {
    await handle.signal(sweepRetrySignal);
    return 'the running sweep re-queued its failed prompts';
  }
  const sweepFile = file ?? (await sweepFileOf(client, sweepId));
  const result = await startSweep(client, sweepFile, { id: sweepId, restartClosed: true });
  return result.outcome === 'attached' ? 'the sweep is running' : 'the sweep runs again: finished prompts are reused, failed ones re-run';
}

async function sweepFileOf(client: Client, sweepId: string): Promise<string> {
  try {
    const memo = (await client.workflow.getHandle(sweepId).describe()).memo as { sweepFile?: string } | undefined;
    if (memo?.sweepFile) return memo.sweepFile;
  } catch {
    /* fall through to the error below */
  }
  throw new Error(`cannot find the sweep file of "${sweepId}": pass it with --file`);
}
