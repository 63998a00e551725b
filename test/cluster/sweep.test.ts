/**
 * A sweep on the cluster (Temporal on PostgreSQL) with one `toa worker` process: it completes,
 * every record is written exactly once, every generation is paid exactly once, and the
 * per-prompt workflows are found through the search attributes in PostgreSQL visibility.
 */
import * as path from 'node:path';
import { readRecords, sleep, sweepIdFrom, waitClosed, writeDataset, writeSweep } from '../e2e/helpers';
import { useCluster } from './helpers';

const PROMPTS = 8;
const BUDGET = 4;
const METHODS = ['toa', 'random'];

const s = useCluster('cluster-sweep', { defaultModel: { latencyMs: [20, 60] }, seed: 3 });

test('a sweep with one worker process completes; each record and each generation exactly once; visibility finds every prompt', async () => {
  const { e, openai } = s;
  const { ids } = writeDataset(e.dir, PROMPTS);
  const file = writeSweep(e.dir, { name: 'cluster-sweep', openaiUrl: openai.url, rewardUrl: s.reward.url, budgets: [BUDGET] });
  const start = await e.toaRun('sweep-start', ['sweep', 'start', file]);
  expect(start.exitCode).toBe(0);
  const sweepId = sweepIdFrom(start.out);
  const worker = e.toa('worker', ['worker', '-c', file]);
  await worker.waitFor(new RegExp(`worker ready \\(pid \\d+\\) on ${s.info.address.replace(/\./g, '\\.')}`), 60000);
  try {
    expect(await waitClosed(e.client, sweepId, 120000)).toBe('COMPLETED');
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${worker.tail()}`);
  }

  const progress = await e.client.workflow.getHandle(sweepId).result();
  expect(progress).toMatchObject({ status: 'completed', failed: 0, done: PROMPTS * METHODS.length, reused: 0 });
  const records = readRecords(path.join(e.dir, 'out', sweepId, 'records'));
  expect(records.size).toBe(PROMPTS * METHODS.length);
  const keys = [...records.values()].map((r) => `${r.method}/${r.promptId}`).sort();
  expect(keys).toEqual(METHODS.flatMap((m) => ids.map((id) => `${m}/${id}`)).sort());
  for (const r of records.values()) expect(r.result.responses).toHaveLength(BUDGET);
  // Nothing crashed, so nothing was paid twice.
  expect((await openai.control.stats()).requests).toBe(PROMPTS * METHODS.length * BUDGET);

  // Visibility (SQL, in PostgreSQL) answers queries on the custom search attributes.
  const query = `ToaSweepId = "${sweepId}" AND ToaStatus = "completed" AND ToaGenerations = ${BUDGET}`;
  let found: Array<{ workflowId: string; method: unknown }> = [];
  for (let i = 0; i < 40; i++) {
    found = [];
    for await (const w of e.client.workflow.list({ query }))
      found.push({
        workflowId: w.workflowId,
        method: w.typedSearchAttributes?.getAll().find((p) => p.key.name === 'ToaMethod')?.value,
      });
    if (found.length >= PROMPTS * METHODS.length) break;
    await sleep(250);
  }
  expect(found).toHaveLength(PROMPTS * METHODS.length);
  expect(found.filter((f) => f.method === 'toa')).toHaveLength(PROMPTS);
  expect(found.filter((f) => f.method === 'random')).toHaveLength(PROMPTS);
  await worker.kill9();
});
