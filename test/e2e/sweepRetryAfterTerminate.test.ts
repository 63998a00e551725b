/**
 * E2E (real processes: `toa worker`, `toa sweep start|retry|status`, fake endpoints, dev server):
 * `toa sweep retry` of a TERMINATED sweep while the children it abandoned are still running.
 *
 * The first run fails its first 4 prompts (a 400 from the endpoint) and is terminated while the
 * next 4 run (8 s per play). The retry queues the 4 failed prompts first, so they take the whole
 * window while the 4 abandoned children finish: their reports reach the new run while their jobs
 * sit in the queue, and starting them then answers "already started" (they completed). The
 * previous release counted each as running forever and never finished; now the sweep asks
 * Temporal how they ended and completes, paying for nothing twice.
 */
import * as path from 'node:path';
import { sweepProgressQuery } from '../../src/workflows/signals';
import { E2E, readRecords, sweepIdFrom, useE2E, waitClosed, writeDataset, writeSweep, subDir, type FakeProc, type Proc } from './helpers';

jest.setTimeout(180_000);

let e: E2E;
let openai: FakeProc;
let reward: FakeProc;
let worker: Proc | undefined;

const setup = useE2E('retry-terminated', { models: { 'model-a': { latencyMs: 8000 } }, seed: 5 });
beforeAll(() => {
  ({ e, openai, reward } = setup);
});
afterAll(async () => worker?.kill9());

test('toa sweep retry of a terminated sweep while its abandoned children finish: completes, each prompt paid once', async () => {
  const dir = subDir(e, 'run');
  const { ids } = writeDataset(dir, 12);
  const file = writeSweep(dir, {
    name: 'retryterm',
    openaiUrl: openai.url,
    rewardUrl: reward.url,
    agents: [{ name: 'alpha', model: 'model-a', maxConcurrency: 16, timeoutSeconds: 20 }],
    methods: '  - type: random\n    agent: alpha',
    budgets: [2],
    maxRunningPrompts: 4,
  });
  await openai.control.reset();
  // The first 4 prompts' 8 requests fail at once (400: not retried).
  await openai.control.setFaults([{ kind: 'bad-request', model: 'model-a', next: 8 }]);
  worker = e.toa('worker', ['worker', '-c', file]);
  await worker.waitFor(/worker ready/, 60_000);
  const started = await e.toaRun('start', ['sweep', 'start', file]);
  expect(started.exitCode).toBe(0);
  const sweepId = sweepIdFrom(started.out);
  const sweep = e.client.workflow.getHandle(sweepId);
  const childId = (i: number) => `${sweepId}/random/b2/s0/${ids[i]}`;

  // 4 failed, 4 running: terminate the sweep. Its children are abandoned and keep running.
  for (let i = 0; ; i++) {
    const q = await sweep.query(sweepProgressQuery).catch(() => undefined);
    if (q && q.failed === 4 && q.running === 4) break;
    if (i > 300) throw new Error(`sweep never reached 4 failed + 4 running: ${JSON.stringify(q)}\n${worker.tail()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const firstRun = (await sweep.describe()).runId;
  await sweep.terminate('test: terminated with children running');
  expect((await e.client.workflow.getHandle(childId(4)).describe()).status.name).toBe('RUNNING');

  const retry = await e.toaRun('retry', ['sweep', 'retry', sweepId]);
  expect(retry.exitCode).toBe(0);
  expect(retry.out).toMatch(/runs again/);
  const retryStart = (await sweep.describe()).startTime;
  expect(await waitClosed(e.client, sweepId, 90_000)).toBe('COMPLETED');

  // The scenario happened: the abandoned children finished after the retry had started.
  for (const i of [4, 5, 6, 7]) {
    const d = await e.client.workflow.getHandle(childId(i)).describe();
    expect([d.status.name, d.parentExecution?.runId]).toEqual(['COMPLETED', firstRun]);
    expect(d.closeTime!.getTime()).toBeGreaterThan(retryStart.getTime());
  }
  const status = await e.toaRun('status', ['sweep', 'status', sweepId, '--json']);
  const st = JSON.parse(status.out) as { status: string; done: number; reused: number; failed: number };
  expect(st).toMatchObject({ status: 'completed', failed: 0 });
  expect(st.done + st.reused).toBe(12);
  const records = readRecords(path.join(dir, 'out', sweepId, 'records'));
  expect(new Set([...records.values()].map((r) => r.workflowId)).size).toBe(12);
  expect(records.size).toBe(12);
  // Nothing paid twice: 8 failed requests, then 2 plays per prompt.
  expect((await openai.control.stats()).requests).toBe(8 + 12 * 2);
});
