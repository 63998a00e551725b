/**
 * `toa sweep watch` / the demo's progress without a terminal: one line per change, and the
 * generation count moves while prompts run (read from the running prompts' search attributes),
 * not only when a prompt finishes. Real dev server, real workers, fake endpoints (test doubles).
 */
import * as path from 'node:path';
import { writeFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { runningPrompts } from '../../src/client/runningPrompts';
import { sweepProgress } from '../../src/client/sweepCommands';
import { watchSweep } from '../../src/client/watch';
import { MAIN_TASK_QUEUE } from '../../src/common/taskQueues';
import { datasetSchema, methodSchema } from '../../src/config/schema';
import { sweep } from '../../src/workflows/sweep';
import { startHarness, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  // Slow answers: a budget-6 TOA prompt (one play at a time) runs for about 2 s.
  const slow = { noise: 0.2, latencyMs: 300 };
  h = await startHarness({ models: { 'fake-a': { quality: 0.3, ...slow }, 'fake-b': { quality: 0.5, ...slow } } });
  await h.startWorkers();
});
afterAll(async () => h?.close());

test('non-TTY progress shows generations of running prompts before any prompt finishes', async () => {
  const file = path.join(h.dir, 'watch.jsonl');
  writeFileSync(file, ['a', 'b', 'c'].map((id) => JSON.stringify({ id, instruction: `Question ${id}?` })).join('\n') + '\n');
  const sweepId = 'sweep-watch';
  await h.env.client.workflow.start(sweep, {
    workflowId: sweepId,
    taskQueue: MAIN_TASK_QUEUE,
    args: [
      {
        sweepId,
        plan: {
          name: 'watch',
          dataset: datasetSchema.parse({ path: file }),
          agents: h.agents,
          reward: h.rewardSpec,
          methods: [methodSchema.parse({ type: 'toa', tau: 1, alpha: 0.1 })],
          budgets: [6],
          seeds: [0],
          store: h.store,
          recordsDir: path.join(h.dir, 'records-watch'),
          templates: {},
          maxRunningPrompts: 3,
        },
      },
    ],
  });
  const out = new PassThrough();
  let text = '';
  out.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const final = await watchSweep(() => sweepProgress(h.env.client, sweepId), {
    out,
    tty: false,
    intervalMs: 150,
    running: () => runningPrompts(h.env.client, sweepId),
  });
  expect(final.status).toBe('completed');
  expect(final.compute.generations).toBe(18);
  const lines = text.trim().split('\n');
  const movingBeforeAnyDone = lines.filter((l) => / 0 done /.test(l) && /\| ([1-9]\d*) generations \(\1 in running prompts\)/.test(l));
  expect(movingBeforeAnyDone.length).toBeGreaterThan(0);
  expect(lines[lines.length - 1]).toMatch(/completed \| 3 done .*\| 18 generations/);
});
