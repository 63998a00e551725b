/**
 * The record writer and the prompt's scope of the store: plays run through the real `play`
 * activity (in MockActivityEnvironment, so they see a workflow ID and run ID as in a worker)
 * against the fake OpenAI and reward servers (test doubles on loopback HTTP), driven by the real
 * strategy and driver loop; then `writePromptRecord` as the workflow calls it. What is checked:
 * the record holds every text, the scope is packed and removed, and every state a killed writer
 * can leave (record written, scope still there) converges on a retry or at the next sweep start.
 */
import { existsSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Info } from '@temporalio/activity';
import { createAgentQueueActivities, createMainQueueActivities, explicitAllowList } from '../../src/activities';
import { buildPromptRecord } from '../../src/activities/promptRecord';
import type { PlayOutput, StoreSpec, WritePromptRecordInput } from '../../src/activities/types';
import { recordHeaderOf, type PromptRecord } from '../../src/common/records';
import { datasetSchema, methodSchema } from '../../src/config/schema';
import { runSearch } from '../../src/search/driver';
import { createStrategy } from '../../src/search/methods';
import { openStore, readRecord, recordPath, textKey, writeRecordAtomic } from '../../src/store';
import { fakeAgent } from '../support/agents';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fakeOpenAI';
import { startFakeReward, type FakeReward } from '../support/fakeReward';
import { tmpDir, tmpStoreSpec } from '../support/tmp';

let openai: FakeOpenAI;
let reward: FakeReward;
let tmp: ReturnType<typeof tmpDir>;
let store: StoreSpec;
let acts: ReturnType<typeof createAgentQueueActivities> & ReturnType<typeof createMainQueueActivities>;

beforeAll(async () => {
  openai = await startFakeOpenAI({ models: { 'fake-a': { quality: 0.6 }, 'fake-b': { quality: 0.3 } }, seed: 3 });
  reward = await startFakeReward({});
  const allow = explicitAllowList({ endpoints: [openai.url, reward.url], paths: [tmpdir()] });
  acts = { ...createAgentQueueActivities({ allow, env: {} }), ...createMainQueueActivities({ allow }) };
});
afterAll(async () => {
  await openai.close();
  await reward.close();
});
beforeEach(() => {
  tmp = tmpDir('toa-record-');
  store = tmpStoreSpec(tmp.dir);
});
afterEach(() => tmp.cleanup());

const agents = () => [fakeAgent(openai.url, { name: 'a1', model: 'fake-a' }), fakeAgent(openai.url, { name: 'a2', model: 'fake-b' })];

/** One prompt searched as promptSearch does it, minus Temporal; returns the record writer's input. */
async function searchPrompt(workflowId: string, promptId: string, budget: number): Promise<WritePromptRecordInput> {
  const method = methodSchema.parse({ type: 'toa', alpha: 0.1, tau: 1 });
  const promptRef = await openStore(store).put(`Question ${promptId}: what is 6 times 7?`);
  const context = { agents: agents(), reward: { type: 'http' as const, url: reward.url, timeoutSeconds: 5 }, templates: {}, promptId, promptRef, seed: 1 };
  const contextRef = await acts.putPlayContext({ store, context });
  const refs = new Map<string, string>();
  const rewards: number[] = [];
  const strategy = createStrategy(method, { agents: ['a1', 'a2'], budget, seed: 1 });
  const run = await runSearch(
    strategy,
    async (action) => {
      const env = new MockActivityEnvironment({ workflowExecution: { workflowId, runId: 'run-1' } } as Partial<Info>);
      const out = (await env.run(acts.play, { store, contextRef, action, inputRefs: action.inputs.map((id) => refs.get(id)!) })) as PlayOutput;
      refs.set(action.id, out.ref);
      return { actionId: action.id, reward: out.reward, promptTokens: out.promptTokens, completionTokens: out.completionTokens };
    },
    { onOutcome: (_a, o) => void (o.failed === undefined && rewards.push(o.reward)) },
  );
  return {
    recordsDir: path.join(tmp.dir, 'records'),
    store,
    header: recordHeaderOf({ promptId, budget, seed: 1, searchSeed: 1, promptRef, method, sweepId: 'sw' }, workflowId),
    agents: agents(),
    trace: run.trace,
    contextRef,
    rewards,
  };
}

const genFiles = (dir: string) => readdirSync(dir).filter((f) => f.startsWith('gen-'));

test('the record holds every response text; the scope is packed into it and removed; a retry rebuilds the same record from the pack', async () => {
  const input = await searchPrompt('sw/toa/b8/s1/p1', 'p1', 8);
  const scope = openStore(store).scope('sw/toa/b8/s1/p1');
  // While the prompt runs: one generation file per play, each text also linked by its ref.
  expect(genFiles(scope.dir)).toHaveLength(8);
  for (const f of genFiles(scope.dir)) expect(statSync(path.join(scope.dir, f)).nlink).toBe(2);

  const first = await acts.writePromptRecord(input);
  const record = (await readRecord<PromptRecord>(input.recordsDir, 'sw/toa/b8/s1/p1'))!.record;
  expect(record.result.responses).toHaveLength(8);
  for (const r of record.result.responses) expect(textKey(r.text!)).toBe(r.ref);
  expect(record.contextRef).toBe(input.contextRef);
  expect(await openStore(store).get(first.summary.bestRef)).toBe(record.bestText);
  expect(existsSync(scope.dir)).toBe(false);
  expect(statSync(scope.packPath).ino).toBe(statSync(first.path).ino);

  // The completion was lost: Temporal runs the activity again, with the scope already gone.
  const again = await acts.writePromptRecord(input);
  expect(again).toEqual(first);
});

test('a writer killed between the record and the clean-up: its retry removes the scope', async () => {
  const input = await searchPrompt('sw/toa/b6/s1/p2', 'p2', 6);
  const scope = openStore(store).scope('sw/toa/b6/s1/p2');
  // What the writer had done when it was killed: the record is durable, the scope untouched.
  const built = await buildPromptRecord(input, openStore(store));
  await writeRecordAtomic(input.recordsDir, built.workflowId, built);
  expect(genFiles(scope.dir)).toHaveLength(6);
  const retried = await acts.writePromptRecord(input);
  expect(retried.path).toBe(recordPath(input.recordsDir, 'sw/toa/b6/s1/p2'));
  expect(existsSync(scope.dir)).toBe(false);
  expect((await readRecord<PromptRecord>(input.recordsDir, 'sw/toa/b6/s1/p2'))!.record).toEqual(built);
});

test('a writer killed while removing the scope: its retry finds the rest in the pack', async () => {
  const input = await searchPrompt('sw/toa/b6/s1/p4', 'p4', 6);
  const scope = openStore(store).scope('sw/toa/b6/s1/p4');
  const built = await buildPromptRecord(input, openStore(store));
  const { path: file } = await writeRecordAtomic(input.recordsDir, built.workflowId, built);
  await scope.pack(file);
  // Half of the scope removed when the writer was killed.
  const entries = readdirSync(scope.dir).sort();
  for (const f of entries.slice(0, Math.ceil(entries.length / 2))) rmSync(path.join(scope.dir, f));
  const retried = await acts.writePromptRecord(input);
  expect(retried.summary.generations).toBe(6);
  expect(existsSync(scope.dir)).toBe(false);
  expect((await readRecord<PromptRecord>(input.recordsDir, 'sw/toa/b6/s1/p4'))!.record).toEqual(built);
});

test('a writer killed between the record and the clean-up, never retried: the next sweep start removes the scope of the record it reuses', async () => {
  const input = await searchPrompt('sw/toa/b4/s1/p3', 'p3', 4);
  const scope = openStore(store).scope('sw/toa/b4/s1/p3');
  const built = await buildPromptRecord(input, openStore(store));
  await writeRecordAtomic(input.recordsDir, built.workflowId, built);
  const file = path.join(tmp.dir, 'data.jsonl');
  writeFileSync(file, `${JSON.stringify({ id: 'p3', instruction: 'Question p3: what is 6 times 7?' })}\n`);
  const page = await acts.loadDatasetPage({
    dataset: datasetSchema.parse({ path: file }),
    store,
    cursor: 0,
    pageSize: 10,
    recordsDir: input.recordsDir,
    jobPrefix: 'sw',
    jobKeys: ['toa/b4/s1'],
  });
  expect(Object.keys(page.items[0]!.finished!)).toEqual(['toa/b4/s1']);
  expect(existsSync(scope.dir)).toBe(false);
  expect(statSync(scope.packPath).ino).toBe(statSync(recordPath(input.recordsDir, 'sw/toa/b4/s1/p3')).ino);
});
