/**
 * Records the workflow histories that the replay tests replay. Not a test: run it by hand after
 * an intentional workflow change. Keep the files of earlier releases (`*-v0.1.json`) while
 * executions they started may be running: they must go on replaying.
 *   npx jest --testMatch '**\/record-histories.ts' --testPathIgnorePatterns '^$'
 */
import * as path from 'node:path';
import { writeFileSync, mkdirSync } from 'node:fs';
import { promptSearch } from '../../src/workflows/promptSearch';
import { sweep } from '../../src/workflows/sweep';
import { sweepProgressQuery } from '../../src/workflows/signals';
import { MAIN_TASK_QUEUE } from '../../src/common/taskQueues';
import { datasetSchema, methodSchema } from '../../src/config/schema';
import { temporal } from '@temporalio/proto';
import { startHarness } from './harness';

const OUT = path.join(__dirname, '..', 'fixtures', 'histories');

test('record histories', async () => {
  const h = await startHarness();
  await h.startWorkers();
  const save = async (workflowId: string, file: string) => {
    const history = await h.env.client.workflow.getHandle(workflowId).fetchHistory();
    const json = temporal.api.history.v1.History.toObject(history as temporal.api.history.v1.History, { longs: String, enums: String, bytes: String });
    // Failures carry the recording machine's stack traces (its paths); replay never reads them.
    writeFileSync(path.join(OUT, file), JSON.stringify(json, (k, v: unknown) => (k === 'stackTrace' ? '' : v), 1));
  };
  try {
    mkdirSync(OUT, { recursive: true });
    const agents = h.agents.slice(0, 3);
    for (const [name, spec] of [
      ['toa', { type: 'toa', tau: 1, alpha: 0.1 }],
      ['moa', { type: 'moa', layers: 2 }],
      ['sequential', { type: 'sequential' }],
    ] as const) {
      const id = `replay-${name}`;
      await h.env.client.workflow.execute(promptSearch, {
        workflowId: id,
        taskQueue: MAIN_TASK_QUEUE,
        args: [{ promptId: 'p1', promptRef: await h.putText('What is 6 times 7?'), method: methodSchema.parse(spec), budget: 8, seed: 3, agents, reward: h.rewardSpec, store: h.store, templates: {}, recordsDir: h.recordsDir }],
      });
      const history = await h.env.client.workflow.getHandle(id).fetchHistory();
      writeFileSync(path.join(OUT, `promptSearch-${name}.json`), JSON.stringify(temporal.api.history.v1.History.toObject(history as temporal.api.history.v1.History, { longs: String, enums: String, bytes: String }), null, 1));
    }
    // A play that fails for its own content under onPlayFailure: continue (issue 11 item 5):
    // agent2's first request gets a 400; the prompt goes on and records the failed play.
    h.openai.setFaults([{ kind: 'bad-request', model: 'fake-b', next: 1 }]);
    await h.env.client.workflow.execute(promptSearch, {
      workflowId: 'replay-failed-play',
      taskQueue: MAIN_TASK_QUEUE,
      args: [{ promptId: 'p1', promptRef: await h.putText('What is 6 times 7?'), method: methodSchema.parse({ type: 'toa', tau: 1, alpha: 0.1 }), budget: 6, seed: 3, agents, reward: h.rewardSpec, store: h.store, templates: {}, recordsDir: h.recordsDir, onPlayFailure: 'continue' }],
    });
    h.openai.setFaults([]);
    await save('replay-failed-play', 'promptSearch-failed-play.json');

    const file = path.join(h.dir, 'd.jsonl');
    writeFileSync(file, ['{"id":"a","instruction":"one?"}', '{"id":"b","instruction":"two?"}', 'broken'].join('\n'));
    await h.env.client.workflow.execute(sweep, {
      workflowId: 'replay-sweep',
      taskQueue: MAIN_TASK_QUEUE,
      args: [{ sweepId: 'replay-sweep', plan: { name: 'replay', dataset: datasetSchema.parse({ path: file }), agents, reward: h.rewardSpec, methods: [methodSchema.parse({ type: 'ensemble' })], budgets: [3], seeds: [0], store: h.store, recordsDir: h.recordsDir, templates: {}, maxRunningPrompts: 2 } }],
    });
    await save('replay-sweep', 'sweep.json');

    // The sweep's lifecycle paths (issue 11): 22 failures (more than it keeps in memory, so they
    // go to the failures file), and a job whose workflow already ran to completion elsewhere
    // ("already started": the sweep asks Temporal how it ended).
    const many = path.join(h.dir, 'many.jsonl');
    writeFileSync(many, Array.from({ length: 25 }, (_, i) => JSON.stringify({ id: `p${i}`, instruction: `question ${i}?` })).join('\n'));
    const lifecyclePlan = {
      name: 'lifecycle',
      dataset: datasetSchema.parse({ path: many }),
      agents,
      reward: h.rewardSpec,
      methods: [methodSchema.parse({ type: 'random', agent: 'agent1' })],
      budgets: [1],
      seeds: [0],
      store: h.store,
      recordsDir: path.join(h.dir, 'lifecycle', 'records'),
      failuresFile: path.join(h.dir, 'lifecycle', 'failures.jsonl'),
      templates: {},
      maxRunningPrompts: 2,
      retry: { maxAttempts: 1, initialIntervalSeconds: 0.1, maxIntervalSeconds: 0.1 },
    };
    await h.env.client.workflow.execute(promptSearch, {
      workflowId: 'replay-lifecycle/random/b1/s0/p24',
      taskQueue: MAIN_TASK_QUEUE,
      args: [{ promptId: 'p24', promptRef: await h.putText('question 24?'), method: lifecyclePlan.methods[0]!, budget: 1, seed: 0, agents, reward: h.rewardSpec, store: h.store, templates: {}, recordsDir: path.join(h.dir, 'elsewhere') }],
    });
    h.openai.setFaults([{ kind: 'bad-request', model: 'fake-a', next: 22 }]);
    await h.env.client.workflow.execute(sweep, { workflowId: 'replay-lifecycle', taskQueue: MAIN_TASK_QUEUE, args: [{ sweepId: 'replay-lifecycle', plan: lifecyclePlan }] });
    h.openai.setFaults([]);
    await save('replay-lifecycle', 'sweep-lifecycle.json');

    // Cancelled from outside while two slow children run (one play at a time: the per-prompt
    // cap): the sweep cancels them, and each child reports its cancellation.
    const slow = { ...lifecyclePlan, name: 'cancelled', agents: [h.agents[3]!], methods: [methodSchema.parse({ type: 'random', agent: 'agent4' })], budgets: [2], maxPlaysInFlightPerPrompt: 1, recordsDir: path.join(h.dir, 'cancelled', 'records'), failuresFile: path.join(h.dir, 'cancelled', 'failures.jsonl') };
    const handle = await h.env.client.workflow.start(sweep, { workflowId: 'replay-cancelled', taskQueue: MAIN_TASK_QUEUE, args: [{ sweepId: 'replay-cancelled', plan: slow }] });
    for (let i = 0; i < 200 && (await handle.query(sweepProgressQuery)).running < 2; i++) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 500));
    await handle.cancel();
    await handle.result().catch(() => undefined);
    const child = h.env.client.workflow.getHandle('replay-cancelled/random/b2/s0/p0');
    await child.result().catch(() => undefined);
    await save('replay-cancelled', 'sweep-cancelled.json');
    await save('replay-cancelled/random/b2/s0/p0', 'promptSearch-cancelled.json');
  } finally {
    await h.close();
  }
});
