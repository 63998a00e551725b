/**
 * The sweep's dataset cursor across releases, on a real dev server: a sweep of release 0.1
 * carries a bare byte offset in the state it continues-as-new with; this release's sweep
 * accepts it (the next page counts lines once and returns a full cursor) and runs exactly the
 * prompts after it.
 */
import * as path from 'node:path';
import { writeFileSync } from 'node:fs';
import { sweep, type SweepInput } from '../../src/workflows/sweep';
import { MAIN_TASK_QUEUE } from '../../src/common/taskQueues';
import { readRecords } from '../../src/store/records';
import { datasetSchema, methodSchema } from '../../src/config/schema';
import { initialState, type SweepPlan } from '../../src/workflows/sweepState';
import { startHarness, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ agents: 1 });
  await h.startWorkers();
});
afterAll(async () => h?.close());

test('a 0.1 continue-as-new state with a byte-offset cursor resumes at that line', async () => {
  const lines = Array.from({ length: 9 }, (_, i) => JSON.stringify({ id: `q${i}`, instruction: `Question number ${i}?` }));
  const file = path.join(h.dir, 'resume.jsonl');
  writeFileSync(file, `${lines.join('\n')}\n`);
  const plan: SweepPlan = {
    name: 'cursor',
    dataset: datasetSchema.parse({ path: file }),
    agents: h.agents,
    reward: h.rewardSpec,
    methods: [methodSchema.parse({ type: 'random', agent: 'agent1' })],
    budgets: [2],
    seeds: [0],
    store: h.store,
    recordsDir: path.join(h.dir, 'records-cursor'),
    templates: {},
    maxRunningPrompts: 2,
    pageSize: 2,
  };
  // What release 0.1 continued as new with after its first two pages (4 prompts read, all done).
  const byteOfLine5 = lines.slice(0, 4).join('\n').length + 1;
  const state = { ...initialState(), cursor: byteOfLine5, promptsSeen: 4, done: 4 };
  const progress = await h.env.client.workflow.execute(sweep, {
    workflowId: 'sweep-cursor-v01',
    taskQueue: MAIN_TASK_QUEUE,
    args: [{ sweepId: 'sweep-cursor-v01', plan, state } satisfies SweepInput],
  });
  expect(progress).toMatchObject({ status: 'completed', promptsSeen: 9, done: 9, failed: 0, datasetDone: true });
  const ids = (await readRecords<{ promptId: string }>(plan.recordsDir)).map((r) => r.record.promptId).sort();
  expect(ids).toEqual(['q4', 'q5', 'q6', 'q7', 'q8']);
});
