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
import { MAIN_TASK_QUEUE } from '../../src/common/taskQueues';
import { datasetSchema, methodSchema } from '../../src/config/schema';
import { temporal } from '@temporalio/proto';
import { startHarness } from './harness';

const OUT = path.join(__dirname, '..', 'fixtures', 'histories');

test('record histories', async () => {
  const h = await startHarness();
  await h.startWorkers();
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
    const file = path.join(h.dir, 'd.jsonl');
    writeFileSync(file, ['{"id":"a","instruction":"one?"}', '{"id":"b","instruction":"two?"}', 'broken'].join('\n'));
    await h.env.client.workflow.execute(sweep, {
      workflowId: 'replay-sweep',
      taskQueue: MAIN_TASK_QUEUE,
      args: [{ sweepId: 'replay-sweep', plan: { name: 'replay', dataset: datasetSchema.parse({ path: file }), agents, reward: h.rewardSpec, methods: [methodSchema.parse({ type: 'ensemble' })], budgets: [3], seeds: [0], store: h.store, recordsDir: h.recordsDir, templates: {}, maxRunningPrompts: 2 } }],
    });
    const history = await h.env.client.workflow.getHandle('replay-sweep').fetchHistory();
    writeFileSync(path.join(OUT, 'sweep.json'), JSON.stringify(temporal.api.history.v1.History.toObject(history as temporal.api.history.v1.History, { longs: String, enums: String, bytes: String }), null, 1));
  } finally {
    await h.close();
  }
});
