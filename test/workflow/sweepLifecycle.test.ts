/**
 * The sweep's lifecycle on a real dev server (issue 11): children that end unheard after a
 * continue-as-new, cancelling from outside, pausing with a cap on plays in flight, the circuit
 * breaker, and payloads that stay bounded with many failures and re-runs.
 */
import * as path from 'node:path';
import { readFileSync, writeFileSync } from 'node:fs';
import type { WorkflowHandle } from '@temporalio/client';
import { sweep, type SweepInput } from '../../src/workflows/sweep';
import { sweepPauseSignal, sweepProgressQuery, sweepResumeSignal, sweepRetrySignal } from '../../src/workflows/signals';
import { MAIN_TASK_QUEUE } from '../../src/common/taskQueues';
import { readRecords } from '../../src/store/records';
import { datasetSchema, methodSchema } from '../../src/config/schema';
import type { SweepPlan, SweepProgress } from '../../src/workflows/sweepState';
import { DEFAULT_MODELS, startHarness, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  // fake-slow3s: 3 s per play, so a toa child with parallelPlays 1 and budget 6 runs for ~18 s.
  h = await startHarness({ models: { ...DEFAULT_MODELS, 'fake-slow3s': { quality: 0.5, noise: 0.2, latencyMs: 3000 } }, agents: 5 });
  await h.startWorkers();
});
afterAll(async () => h?.close());

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const prompts = (n: number) => Array.from({ length: n }, (_, i) => JSON.stringify({ id: `q${i}`, instruction: `Question number ${i}?` }));

function plan(name: string, n: number, over: Partial<SweepPlan>): SweepPlan {
  const file = path.join(h.dir, `${name}.jsonl`);
  writeFileSync(file, prompts(n).join('\n') + '\n');
  return {
    name,
    dataset: datasetSchema.parse({ path: file }),
    agents: h.agents,
    reward: h.rewardSpec,
    methods: [methodSchema.parse({ type: 'random', agent: 'agent1' })],
    budgets: [1],
    seeds: [0],
    store: h.store,
    recordsDir: path.join(h.dir, name, 'records'),
    failuresFile: path.join(h.dir, name, 'failures.jsonl'),
    templates: {},
    maxRunningPrompts: 4,
    retry: { maxAttempts: 1, initialIntervalSeconds: 0.1, maxIntervalSeconds: 0.2 },
    ...over,
  };
}

async function start(sweepId: string, p: SweepPlan): Promise<WorkflowHandle<typeof sweep>> {
  return h.env.client.workflow.start(sweep, { workflowId: sweepId, taskQueue: MAIN_TASK_QUEUE, args: [{ sweepId, plan: p } satisfies SweepInput] });
}

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe().catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(150);
  }
}

/** The sweep's result, or a clear failure if it has not finished within the time (a hang). */
async function resultWithin(handle: WorkflowHandle<typeof sweep>, ms: number): Promise<SweepProgress> {
  const timeout = sleep(ms).then(() => {
    throw new Error(`sweep ${handle.workflowId} did not finish within ${ms / 1000} s`);
  });
  return Promise.race([handle.result(), timeout]);
}

/** A child of the sweep, started by an earlier run than the current one (before a continue-as-new), still running. */
async function childOfEarlierRun(sweepId: string, ids: string[]): Promise<string | undefined> {
  const current = (await h.env.client.workflow.getHandle(sweepId).describe()).runId;
  for (const id of ids) {
    const d = await h.env.client.workflow
      .getHandle(id)
      .describe()
      .catch(() => undefined);
    if (d?.status.name === 'RUNNING' && d.parentExecution && d.parentExecution.runId !== current) return id;
  }
  return undefined;
}

const childIds = (sweepId: string, key: string, n: number) => Array.from({ length: n }, (_, i) => `${sweepId}/${key}/q${i}`);

test('a child terminated after a continue-as-new is accounted for (Terminated), and the sweep completes', async () => {
  const p = plan('term', 8, {
    methods: [methodSchema.parse({ type: 'random', agent: 'agent4' })],
    budgets: [2],
    continueAsNewAfterEvents: 30,
    reconcileEverySeconds: 1,
  });
  const handle = await start('sweep-term', p);
  const victim = await until('a running child started before a continue-as-new', () => childOfEarlierRun('sweep-term', childIds('sweep-term', 'random/b2/s0', 8)));
  await h.env.client.workflow.getHandle(victim).terminate('test: terminated mid-sweep');
  const result = await resultWithin(handle, 45_000);
  expect(result.status).toBe('completed_with_failures');
  expect(result.done).toBe(7);
  expect(result.failed).toBe(1);
  expect(result.errorsByType).toEqual({ Terminated: 1 });
  expect(result.recentFailures[0]).toMatchObject({ workflowId: victim, error: { type: 'Terminated' } });
  // Listed in the failures file, which a retry reads.
  const lines = readFileSync(p.failuresFile!, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { workflowId: string });
  expect(lines.map((l) => l.workflowId)).toEqual([victim]);
});

test('cancelling the sweep from outside (as the Temporal UI does) cancels the children earlier runs started', async () => {
  const p = plan('cancel', 8, {
    // One play at a time, 3 s each: a child runs ~18 s unless cancelled.
    methods: [methodSchema.parse({ type: 'toa', tau: 1, alpha: 0.1, parallelPlays: 1 })],
    agents: [h.agents[4]!],
    budgets: [6],
    continueAsNewAfterEvents: 15,
  });
  const ids = childIds('sweep-ext-cancel', 'toa/b6/s0', 8);
  const handle = await start('sweep-ext-cancel', p);
  await until('a running child started before a continue-as-new', () => childOfEarlierRun('sweep-ext-cancel', ids));
  await handle.cancel();
  await expect(handle.result()).rejects.toThrow();
  expect((await handle.describe()).status.name).toBe('CANCELLED');
  // Within a few seconds (far less than a child's ~18 s) no child of the sweep is running: not
  // those of earlier runs, not those of the last one.
  const running = async () => {
    const out: string[] = [];
    for (const id of ids) {
      const d = await h.env.client.workflow
        .getHandle(id)
        .describe()
        .catch(() => undefined);
      if (d?.status.name === 'RUNNING') out.push(id);
    }
    return out;
  };
  const stillRunning = await until('no running child', async () => ((await running()).length === 0 ? [] : undefined), 6_000).catch(async () => running());
  expect(stillRunning).toEqual([]);
  // And nothing more is paid: no new request reaches the endpoint.
  const requests = h.openai.stats.byModel['fake-slow3s']?.requests ?? 0;
  await sleep(3500);
  expect(h.openai.stats.byModel['fake-slow3s']?.requests ?? 0).toBe(requests);
});

test('pause stops spending within maxPlaysInFlightPerPrompt: an ensemble does not issue all N plays at once', async () => {
  const p = plan('pause-cap', 2, {
    methods: [methodSchema.parse({ type: 'ensemble' })],
    agents: [h.agents[3]!], // fake-slow: 2.5 s per play
    budgets: [12],
    maxRunningPrompts: 2,
    maxPlaysInFlightPerPrompt: 2,
  });
  const slow = () => h.openai.stats.byModel['fake-slow']?.requests ?? 0;
  const before = slow();
  const handle = await start('sweep-pause-cap', p);
  await until('both prompts running with plays in flight', async () => {
    const q = await handle.query(sweepProgressQuery);
    return q.running === 2 && slow() - before >= 4 ? true : undefined;
  });
  await handle.signal(sweepPauseSignal);
  await sleep(6000); // the plays in flight complete (2.5 s); nothing new starts
  const whilePaused = slow() - before;
  // At most the 2 × 2 in flight at the pause, plus those started between the query and the pause.
  expect(whilePaused).toBeLessThanOrEqual(8);
  await sleep(1500);
  expect(slow() - before).toBe(whilePaused);
  await handle.signal(sweepResumeSignal);
  const result = await resultWithin(handle, 45_000);
  expect(result.done).toBe(2);
  expect(slow() - before).toBe(24); // every play once
});

test('circuit breaker: a run of failures of one type pauses the sweep with the reason; retry + resume finish it, failures read back from the file', async () => {
  const p = plan('breaker', 40, { pauseAfterFailuresInARow: 30, maxRunningPrompts: 4 });
  h.openai.setFaults([{ kind: 'bad-request', model: 'fake-a' }]);
  try {
    const handle = await start('sweep-breaker', p);
    const paused = await until('the breaker to pause the sweep', async () => {
      const q = await handle.query(sweepProgressQuery);
      return q.status === 'paused' ? q : undefined;
    });
    expect(paused.pauseReason).toMatch(/^paused by the circuit breaker: 30 prompts in a row failed with BadRequest \(last: .*HTTP 400/);
    // It stays paused: the prompts in flight at the trip end, nothing new starts.
    await sleep(1500);
    const settled = await handle.query(sweepProgressQuery);
    expect(settled.status).toBe('paused');
    expect(settled.running).toBe(0);
    expect(settled.failed).toBeGreaterThanOrEqual(30);
    expect(settled.failed).toBeLessThan(40);
    const desc = await handle.describe();
    expect(desc.typedSearchAttributes.getAll().find((a) => a.key.name === 'ToaStatus')?.value).toBe('paused');
    // More failures than the sweep keeps in memory: the rest are in the file.
    const inFile = readFileSync(p.failuresFile!, 'utf8').trim().split('\n').length;
    expect(inFile).toBeGreaterThanOrEqual(20);

    h.openai.setFaults([]);
    await handle.signal(sweepRetrySignal);
    await handle.signal(sweepResumeSignal);
    const result = await resultWithin(handle, 45_000);
    expect(result).toMatchObject({ status: 'completed', done: 40, failed: 0 });
    expect(await readRecords(p.recordsDir)).toHaveLength(40);
  } finally {
    h.openai.setFaults([]);
  }
});

/** The largest payload (bytes) of each kind in every run of a workflow's history. */
async function largestPayloads(workflowId: string): Promise<Record<string, number>> {
  const sizes: Record<string, number> = {};
  const note = (kind: string, payloads: Array<{ data?: Uint8Array | null }> | null | undefined) => {
    const n = (payloads ?? []).reduce((sum, p) => sum + (p.data?.length ?? 0), 0);
    sizes[kind] = Math.max(sizes[kind] ?? 0, n);
  };
  for await (const run of h.env.client.workflow.list({ query: `WorkflowId = "${workflowId}"` })) {
    const history = await h.env.client.workflow.getHandle(workflowId, run.runId).fetchHistory();
    for (const e of history.events ?? []) {
      note('workflow input', e.workflowExecutionStartedEventAttributes?.input?.payloads);
      note('continue-as-new input', e.workflowExecutionContinuedAsNewEventAttributes?.input?.payloads);
      note('activity input', e.activityTaskScheduledEventAttributes?.input?.payloads);
      note('activity result', e.activityTaskCompletedEventAttributes?.result?.payloads);
      note('signal', e.workflowExecutionSignaledEventAttributes?.input?.payloads);
      note('child input', e.startChildWorkflowExecutionInitiatedEventAttributes?.input?.payloads);
      note('result', e.workflowExecutionCompletedEventAttributes?.result?.payloads);
    }
  }
  return sizes;
}

test('many failures and re-runs: every workflow input, activity result and continue-as-new state stays under 32 KiB', async () => {
  const bounded = (sizes: Record<string, number>) =>
    Object.entries(sizes)
      .filter(([, bytes]) => bytes > 32 * 1024)
      .map(([kind, bytes]) => `${kind}: ${bytes} bytes`);
  // 50 prompts × 3 seeds = 150 jobs; the first run fails them all, continuing as new on the way.
  const p = plan('many', 50, { seeds: [0, 1, 2], maxRunningPrompts: 16, continueAsNewAfterEvents: 300 });
  h.openai.setFaults([{ kind: 'bad-request', model: 'fake-a' }]);
  let first: SweepProgress;
  try {
    first = await resultWithin(await start('sweep-many', p), 50_000);
  } finally {
    h.openai.setFaults([]);
  }
  expect(first).toMatchObject({ status: 'completed_with_failures', failed: 150, done: 0 });
  const failing = await largestPayloads('sweep-many');
  expect(failing['continue-as-new input']).toBeGreaterThan(0); // it did continue as new, carrying failures
  expect(bounded(failing)).toEqual([]);
  // Every failure is in the file (which a retry reads), once.
  const lines = readFileSync(p.failuresFile!, 'utf8').trim().split('\n');
  expect(lines).toHaveLength(150);
  expect(new Set(lines.map((l) => (JSON.parse(l) as { workflowId: string }).workflowId)).size).toBe(150);

  // Fixed: the sweep again re-runs exactly the failed ones; once more, everything is reused.
  const second = await resultWithin(await start('sweep-many', p), 50_000);
  expect(second).toMatchObject({ status: 'completed', done: 150, reused: 0, failed: 0 });
  const third = await resultWithin(await start('sweep-many', p), 20_000);
  expect(third).toMatchObject({ status: 'completed', done: 0, reused: 150, failed: 0 });
  expect(third.compute.generations).toBe(150);
  expect(bounded(await largestPayloads('sweep-many'))).toEqual([]);
});
