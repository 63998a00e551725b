/**
 * The sweep workflow on a real dev server: fan-out with a sliding window, paging,
 * continue-as-new, dataset problems, reuse of finished prompts, pause/resume, retry.
 */
import * as path from 'node:path';
import { writeFileSync } from 'node:fs';
import { sweep, type SweepInput } from '../../src/workflows/sweep';
import { sweepCancelSignal, sweepPauseSignal, sweepProgressQuery, sweepResumeSignal, sweepRetrySignal } from '../../src/workflows/signals';
import { MAIN_TASK_QUEUE } from '../../src/common/taskQueues';
import { readRecords } from '../../src/store/records';
import { datasetSchema, methodSchema } from '../../src/config/schema';
import type { SweepPlan } from '../../src/workflows/sweepState';
import { startHarness, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await h.startWorkers();
});
afterAll(async () => h?.close());

function dataset(name: string, lines: string[]): string {
  const file = path.join(h.dir, name);
  writeFileSync(file, lines.join('\n') + '\n');
  return file;
}

function plan(file: string, over: Partial<SweepPlan> = {}): SweepPlan {
  return {
    name: 'test',
    dataset: datasetSchema.parse({ path: file }),
    agents: h.agents.slice(0, 3),
    reward: h.rewardSpec,
    methods: [methodSchema.parse({ type: 'toa', tau: 1, alpha: 0.1 }), methodSchema.parse({ type: 'ensemble' })],
    budgets: [4],
    seeds: [0],
    store: h.store,
    recordsDir: path.join(h.dir, `records-${path.basename(file)}`),
    templates: {},
    maxRunningPrompts: 3,
    pageSize: 4,
    ...over,
  };
}

/** Waits (up to 20 s) for a workflow to close; its status. */
async function closedStatus(workflowId: string): Promise<string> {
  for (let i = 0; ; i++) {
    const d = await h.env.client.workflow.getHandle(workflowId).describe();
    if (d.status.name !== 'RUNNING' || i >= 100) return d.status.name;
    await new Promise((r) => setTimeout(r, 200));
  }
}

const prompts = (n: number) => Array.from({ length: n }, (_, i) => JSON.stringify({ id: `q${i}`, instruction: `Question number ${i}?` }));

test('a sweep runs every (method, prompt) once, pages the dataset, continues as new, and reports problems', async () => {
  const file = dataset('ten.jsonl', [...prompts(10), '{"id": "broken", "instruction": ']);
  const p = plan(file, { continueAsNewAfterEvents: 120 });
  const before = h.openai.stats.requests;
  const handle = await h.env.client.workflow.start(sweep, { workflowId: 'sweep-ten', taskQueue: MAIN_TASK_QUEUE, args: [{ sweepId: 'sweep-ten', plan: p } satisfies SweepInput] });
  const progress = await handle.result();
  expect(progress.status).toBe('completed');
  expect(progress.done).toBe(20);
  expect(progress.failed).toBe(0);
  expect(progress.compute.generations).toBe(80);
  expect(h.openai.stats.requests - before).toBe(80);
  expect(progress.datasetProblemCount).toBe(1);
  expect(progress.datasetProblems[0].message).toMatch(/ten\.jsonl:11/);
  const records = await readRecords(p.recordsDir);
  expect(records).toHaveLength(20);
  expect(new Set(records.map((r) => r.workflowId)).size).toBe(20);
  expect(records.map((r) => r.workflowId)).toContain('sweep-ten/toa/b4/s0/q3');
  // It did continue as new (several runs), yet nothing was lost or repeated.
  const { events } = await handle.fetchHistory();
  expect(events!.length).toBeLessThan(400);
  const runs = await h.env.client.workflow.list({ query: `WorkflowId = "sweep-ten"` });
  let count = 0;
  for await (const _ of runs) count++;
  expect(count).toBeGreaterThan(1);
  // Cells: one per (method, budget), every prompt counted.
  expect(progress.cells.map((c) => [c.method, c.done]).sort()).toEqual([['ensemble', 10], ['toa', 10]]);

  // Running the same sweep again reuses every record: no generation is paid twice.
  const again = h.openai.stats.requests;
  const second = await h.env.client.workflow.execute(sweep, { workflowId: 'sweep-ten', taskQueue: MAIN_TASK_QUEUE, args: [{ sweepId: 'sweep-ten', plan: p }] });
  expect(second.reused).toBe(20);
  expect(second.done).toBe(0);
  expect(h.openai.stats.requests - again).toBe(0);
});

test('pause stops new prompts, resume continues, and the sweep completes', async () => {
  const file = dataset('pause.jsonl', prompts(6));
  const p = plan(file, { maxRunningPrompts: 1, methods: [methodSchema.parse({ type: 'random', agent: 'agent1' })] });
  h.openai.setFaults([]);
  const handle = await h.env.client.workflow.start(sweep, { workflowId: 'sweep-pause', taskQueue: MAIN_TASK_QUEUE, args: [{ sweepId: 'sweep-pause', plan: p }] });
  await handle.signal(sweepPauseSignal);
  let q = await handle.query(sweepProgressQuery);
  expect(q.status).toBe('paused');
  // While paused, no new prompt starts: the count settles.
  await new Promise((r) => setTimeout(r, 1500));
  const settled = (await handle.query(sweepProgressQuery)).done;
  await new Promise((r) => setTimeout(r, 1500));
  q = await handle.query(sweepProgressQuery);
  expect(q.done).toBe(settled);
  expect(q.done).toBeLessThan(6);
  await handle.signal(sweepResumeSignal);
  const done = await handle.result();
  expect(done.done).toBe(6);
});

test('a failing endpoint fails only its prompts; retry re-runs them once it is fixed', async () => {
  const file = dataset('retry.jsonl', prompts(4));
  const p = plan(file, {
    methods: [methodSchema.parse({ type: 'random', label: 'good', agent: 'agent1' }), methodSchema.parse({ type: 'random', label: 'bad', agent: 'agent2' })],
    retry: { maxAttempts: 2, initialIntervalSeconds: 0.1, maxIntervalSeconds: 0.2 },
  });
  h.openai.setFaults([{ kind: 'server-error', model: 'fake-b' }]);
  const handle = await h.env.client.workflow.start(sweep, { workflowId: 'sweep-retry', taskQueue: MAIN_TASK_QUEUE, args: [{ sweepId: 'sweep-retry', plan: p }] });
  // Wait until the 4 good prompts are done and the 4 bad ones failed.
  for (let i = 0; i < 100; i++) {
    const q = await handle.query(sweepProgressQuery).catch(() => undefined);
    if (q && q.done + q.failed === 8) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  const result = await handle.result();
  expect(result.status).toBe('completed_with_failures');
  expect(result.done).toBe(4);
  expect(result.failed).toBe(4);
  expect(result.errorsByType.ServerError).toBe(4);
  expect(result.recentFailures[0].error.message).toMatch(/500/);

  // The endpoint is fixed; running the sweep again re-runs only the failed prompts.
  h.openai.setFaults([]);
  const before = h.openai.stats.byModel['fake-a']?.requests ?? 0;
  const second = await h.env.client.workflow.execute(sweep, { workflowId: 'sweep-retry', taskQueue: MAIN_TASK_QUEUE, args: [{ sweepId: 'sweep-retry', plan: p }] });
  expect(second.reused).toBe(4);
  expect(second.done).toBe(4);
  expect(second.failed).toBe(0);
  expect(h.openai.stats.byModel['fake-a']?.requests ?? 0).toBe(before);
});

test('retry signal on a running sweep re-queues its failures', async () => {
  const file = dataset('retry2.jsonl', prompts(1));
  const p = plan(file, {
    methods: [methodSchema.parse({ type: 'random', label: 'flaky', agent: 'agent3' }), methodSchema.parse({ type: 'random', label: 'slow', agent: 'agent4' })],
    retry: { maxAttempts: 1, initialIntervalSeconds: 0.1, maxIntervalSeconds: 0.2 },
    maxRunningPrompts: 2,
    agents: h.agents,
  });
  h.openai.setFaults([{ kind: 'server-error', model: 'fake-c', next: 1 }]);
  const handle = await h.env.client.workflow.start(sweep, { workflowId: 'sweep-retry2', taskQueue: MAIN_TASK_QUEUE, args: [{ sweepId: 'sweep-retry2', plan: p }] });
  // The flaky prompt fails at once while the slow one is still running: the sweep is open.
  for (let i = 0; i < 100; i++) {
    const q = await handle.query(sweepProgressQuery);
    if (q.failed === 1) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  expect((await handle.query(sweepProgressQuery)).running).toBe(1);
  await handle.signal(sweepRetrySignal);
  const result = await handle.result();
  expect(result.done).toBe(2);
  expect(result.failed).toBe(0);
  h.openai.setFaults([]);
});

test('cancel stops the sweep and cancels its running prompts', async () => {
  const file = dataset('cancel.jsonl', prompts(4));
  const p = plan(file, { methods: [methodSchema.parse({ type: 'random', agent: 'agent4' })], agents: h.agents, maxRunningPrompts: 2 });
  const handle = await h.env.client.workflow.start(sweep, { workflowId: 'sweep-cancel', taskQueue: MAIN_TASK_QUEUE, args: [{ sweepId: 'sweep-cancel', plan: p }] });
  for (let i = 0; i < 100; i++) {
    if ((await handle.query(sweepProgressQuery)).running === 2) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  await handle.signal(sweepCancelSignal);
  const result = await handle.result();
  expect(result.status).toBe('cancelled');
  expect(result.done).toBe(0);
  // The child ends once it has handled the cancel request (and sent its report, which the closed sweep refuses).
  expect(['CANCELLED', 'COMPLETED']).toContain(await closedStatus('sweep-cancel/random/b4/s0/q0'));
  const never = await h.env.client.workflow.getHandle('sweep-cancel/random/b4/s0/q3').describe().catch((e: Error) => e);
  expect(never).toBeInstanceOf(Error); // never started
});
