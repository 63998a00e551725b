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
import type { SweepPlan, SweepProgress } from '../workflows/sweepState';
import { searchAttributeUpdates } from '../common/searchAttributes';
import { buildPlan, type PlanOptions } from './plan';
import { checkRecords } from './staleRecords';
import { rememberSweep } from './sweepIndex';

export interface StartResult {
  sweepId: string;
  handle: WorkflowHandle<typeof sweep>;
  /** 'started', 'attached' (already running), 'finished' (already done: see retry), 'restarted' (retry of a closed sweep). */
  outcome: 'started' | 'attached' | 'finished' | 'restarted';
  /**
   * Lines worth printing: for 'attached' and 'finished', what changed in the file since the
   * sweep started (it runs the version it started with); for a start, damaged records re-run.
   */
  notes: string[];
}

export interface StartOptions extends PlanOptions {
  id?: string;
  env?: NodeJS.ProcessEnv;
  restartClosed?: boolean;
  /** The command that re-runs changed records, for the refusal message. */
  rerunCommand?: string;
}

/** Records produced with other inputs than the sweep now has: the sweep was not started. */
export class ChangedRecordsError extends Error {
  override readonly name = 'ChangedRecordsError';
}

/** What identifies a plan's inputs, kept in the sweep's memo so a later start can say what changed. */
interface PlanIdentity {
  methods: Record<string, unknown>;
  dataset?: string;
}

function planIdentity(plan: SweepPlan): PlanIdentity {
  return { methods: plan.reuse?.digests ?? {}, dataset: plan.datasetFingerprint?.sha256 };
}

/** What differs between the plan a sweep was started with and the file as it is now. */
function planChanges(was: PlanIdentity | undefined, now: PlanIdentity, datasetFile: string): string[] {
  if (!was) return [];
  const out: string[] = [];
  if (was.dataset !== undefined && was.dataset !== now.dataset) out.push(`the dataset ${datasetFile} changed`);
  const parts = new Set<string>();
  for (const [label, d] of Object.entries(now.methods)) {
    const old = was.methods[label] as Record<string, string> | undefined;
    if (!old) {
      parts.add(`method ${label} was added`);
      continue;
    }
    for (const [k, v] of Object.entries(d as Record<string, string>)) if (old[k] !== v) parts.add(k === 'method' ? `the options of ${label} changed` : `the ${k} changed`);
  }
  for (const label of Object.keys(was.methods)) if (!(label in now.methods)) parts.add(`method ${label} was removed`);
  return [...out, ...parts];
}

export async function startSweep(client: Client, file: string, opts: StartOptions = {}): Promise<StartResult> {
  const pre = await preflightSweep(file, opts.env ?? process.env, { sweepId: opts.id });
  const { loaded, sweepId } = pre;
  const { plan, locations } = await buildPlan(pre, sweepId, opts);
  await rememberSweep({ sweepId, file: loaded.file, outputDir: locations.outputDir, recordsDir: locations.recordsDir, storeRoot: locations.store.root });
  const existing = client.workflow.getHandle<typeof sweep>(sweepId);
  const described = await describeSweep(existing);
  const status = described?.status;
  const identity = planIdentity(plan);
  if (status !== undefined && (status === 'RUNNING' || !opts.restartClosed)) {
    const changed = planChanges(described?.memo?.planIdentity as PlanIdentity | undefined, identity, loaded.datasetPath);
    const notes =
      changed.length === 0
        ? []
        : [
            `the sweep runs the version of ${loaded.file} it was started with; since then ${changed.join(', ')}. ` +
              (status === 'RUNNING'
                ? `To run the new version: \`toa sweep cancel ${sweepId}\`, then \`toa sweep retry ${sweepId}\` (records produced with other inputs are listed first)`
                : `\`toa sweep retry ${sweepId}\` runs the new version (records produced with other inputs are listed first)`),
          ];
    return { sweepId, handle: existing, outcome: status === 'RUNNING' ? 'attached' : 'finished', notes };
  }
  const check = await checkRecords(plan, sweepId, pre.dataset.entries, loaded.datasetPath);
  const blocking = check.changes.length > 0 && !opts.rerunChanged;
  const unverifiedBlocks = check.unverified > 0 && !opts.rerunChanged && !opts.reuseUnverified;
  if (blocking || unverifiedBlocks) {
    const rerun = opts.rerunCommand ?? `toa sweep start ${file}${opts.id ? ` --id ${opts.id}` : ''}`;
    const lines = [...check.changes];
    if (check.unverified > 0) lines.push(`${check.unverified} record(s) have no digests (written by an earlier release): what produced them is unknown`);
    throw new ChangedRecordsError(
      `sweep ${sweepId} not started: ${check.changedRecords + check.unverified} of its existing records were produced with other inputs than ${loaded.file} now gives, and are not reused silently:\n` +
        lines.map((l) => `  ${l}\n`).join('') +
        `Re-run them with \`${rerun} --rerun-changed\` (each is replaced; the old file is kept in ${locations.recordsDir}/.superseded/)` +
        (check.unverified > 0 ? `, keep the records without digests as they are with --reuse-unverified,` : '') +
        ' or restore what changed.',
    );
  }
  const notes = [
    ...(check.changes.length + check.unverified > 0 && opts.rerunChanged
      ? [`re-running ${check.changedRecords + (opts.reuseUnverified ? 0 : check.unverified)} job(s) whose records were produced with other inputs:`, ...check.changes.map((c) => `  ${c}`)]
      : []),
    ...check.damaged.map((p) => `damaged record ${p}: its prompt runs again (the file is kept in .superseded/)`),
  ];
  const input: SweepInput = { sweepId, plan };
  try {
    const handle = await client.workflow.start(sweep, {
      workflowId: sweepId,
      taskQueue: MAIN_TASK_QUEUE,
      args: [input],
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
      workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
      typedSearchAttributes: searchAttributeUpdates({ sweepId, status: 'running' }),
      memo: { sweepFile: loaded.file, sweepFileHash: loaded.contentHash, outputDir: locations.outputDir, planIdentity: identity },
      staticSummary: `sweep ${plan.name}: ${plan.methods.length} methods × ${plan.budgets.length} budgets × ${plan.seeds.length} seeds`,
    });
    return { sweepId, handle, outcome: status === undefined ? 'started' : 'restarted', notes };
  } catch (err) {
    if (err instanceof WorkflowExecutionAlreadyStartedError) return { sweepId, handle: existing, outcome: 'attached', notes: [] };
    throw err;
  }
}

async function describeSweep(handle: WorkflowHandle): Promise<{ status: string; memo?: Record<string, unknown> } | undefined> {
  try {
    const d = await handle.describe();
    return { status: d.status.name, memo: d.memo };
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return undefined;
    throw err;
  }
}

async function describeStatus(handle: WorkflowHandle): Promise<string | undefined> {
  return (await describeSweep(handle))?.status;
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
 * from its file, which skips every prompt that already has a record produced with the same
 * inputs (and refuses, listing them, when some were produced with other inputs, unless
 * `rerunChanged` or `reuseUnverified` says what to do with them).
 */
export async function retrySweep(
  client: Client,
  sweepId: string,
  file: string | undefined,
  opts: PlanOptions & { env?: NodeJS.ProcessEnv } = {},
): Promise<{ message: string; notes: string[] }> {
  const handle = client.workflow.getHandle(sweepId);
  const status = (await describeSweep(handle))?.status;
  if (status === 'RUNNING') {
    await handle.signal(sweepRetrySignal);
    const flags = opts.rerunChanged || opts.reuseUnverified;
    return {
      message: 'the running sweep re-queued its failed prompts',
      notes: flags
        ? [`--rerun-changed and --reuse-unverified apply when the sweep starts: it is running the version it started with; to start it again, \`toa sweep cancel ${sweepId}\`, then retry`]
        : [],
    };
  }
  const sweepFile = file ?? (await sweepFileOf(client, sweepId));
  const result = await startSweep(client, sweepFile, {
    ...opts,
    id: sweepId,
    restartClosed: true,
    rerunCommand: `toa sweep retry ${sweepId}${file ? ` --file ${file}` : ''}`,
  });
  const message =
    result.outcome === 'attached'
      ? 'the sweep is running'
      : opts.rerunChanged
        ? 'the sweep runs again: records produced with the same inputs are reused; failed prompts and changed ones re-run'
        : 'the sweep runs again: finished prompts are reused, failed ones re-run';
  return { message, notes: result.notes };
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
