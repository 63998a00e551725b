/**
 * A sweep restarted after its inputs changed (issue 11, item 7), on a real dev server with the
 * project's workers and the fake OpenAI / reward servers (test doubles): `toa sweep retry`
 * refuses, listing what changed and how many records it concerns; with `--rerun-changed` it
 * re-runs exactly the changed jobs (their old records kept in .superseded/) and reuses the rest.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { ChangedRecordsError, retrySweep, startSweep } from '../../src/client/sweepCommands';
import type { PromptRecord } from '../../src/common/records';
import { readRecords } from '../../src/store/records';
import { allowListFor } from '../../src/activities';
import { startWorkers, type RunningWorkers } from '../../src/worker/run';
import { fakeAgent } from '../support/agents';
import { startHarness, type Harness } from './harness';

let h: Harness;
let edited: RunningWorkers;
const savedHome = process.env.TOA_HOME;
beforeAll(async () => {
  h = await startHarness();
  process.env.TOA_HOME = path.join(h.dir, '.toa');
  // The harness serves agent1 (fake-a) and agent2 (fake-b); agent2 on fake-c has its own queue.
  await h.startWorkers();
  edited = await startWorkers({
    connection: h.env.nativeConnection,
    agents: [fakeAgent(h.openai.url, { name: 'agent2', model: 'fake-c' })],
    allow: allowListFor({ agents: [fakeAgent(h.openai.url, { name: 'agent2', model: 'fake-c' })], reward: h.rewardSpec, write: [h.dir], source: 'changed-inputs test' }),
    main: false,
    env: {},
  });
});
afterAll(async () => {
  process.env.TOA_HOME = savedHome;
  await edited?.shutdown();
  await h?.close();
});

function sweepFile(o: { agent2Model: string; rewardUrl?: string; rewardTimeout?: number }): string {
  const file = path.join(h.dir, 'sweep.yaml');
  writeFileSync(
    file,
    `name: changed
dataset:
  path: data.jsonl
agents:
  - name: agent1
    baseURL: ${h.openai.url}
    model: fake-a
  - name: agent2
    baseURL: ${h.openai.url}
    model: ${o.agent2Model}
reward:
  type: http
  url: ${o.rewardUrl ?? h.reward.url}
  timeoutSeconds: ${o.rewardTimeout ?? 20}
methods:
  - type: random
    label: one
    agent: agent1
  - type: random
    label: two
    agent: agent2
budgets: [2]
maxRunningPrompts: 6
output: out
retry: { maxAttempts: 2, initialIntervalSeconds: 0.1, maxIntervalSeconds: 0.2 }
`,
  );
  return file;
}

function dataset(second: string): void {
  const rows = ['What is 2 + 2?', second, 'Name a prime number.'].map((q, i) => JSON.stringify({ id: `q${i}`, instruction: q }));
  writeFileSync(path.join(h.dir, 'data.jsonl'), `${rows.join('\n')}\n`);
}

async function refusal(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(ChangedRecordsError);
  return (err as Error).message;
}

test('edited reward, agent and prompt: retry refuses listing the changes; --rerun-changed re-runs only the changed jobs', async () => {
  dataset('What is 3 times 4?');
  const file = sweepFile({ agent2Model: 'fake-b' });
  const first = await startSweep(h.env.client, file);
  const done = await first.handle.result();
  expect(done).toMatchObject({ status: 'completed', done: 6, failed: 0 });
  const sweepId = first.sweepId;
  const recordsDir = path.join(h.dir, 'out', sweepId, 'records');
  const records = await readRecords<PromptRecord>(recordsDir);
  expect(records).toHaveLength(6);
  expect(records.every((r) => r.record.digests && r.record.digests.prompt === r.record.promptRef)).toBe(true);

  // 1. The reward's URL is edited: every record was scored by another reward.
  sweepFile({ agent2Model: 'fake-b', rewardUrl: 'http://127.0.0.1:1/score' });
  const before = h.openai.stats.requests;
  const msg = await refusal(retrySweep(h.env.client, sweepId, file));
  expect(msg).toContain(`sweep ${sweepId} not started: 6 of its existing records were produced with other inputs`);
  expect(msg).toContain(`6 records were produced with another reward (reward.url: "${h.reward.url}" → "http://127.0.0.1:1/score")`);
  expect(msg).toContain(`toa sweep retry ${sweepId} --file ${file} --rerun-changed`);
  expect(h.openai.stats.requests).toBe(before);

  // 2. Reward restored (its timeout changed: not a change of what it scores); agent2's model and
  // one prompt edited: 3 jobs of "two", and q1's job of "one".
  sweepFile({ agent2Model: 'fake-c', rewardTimeout: 30 });
  dataset('What is 3 times 5?');
  const msg2 = await refusal(retrySweep(h.env.client, sweepId, file));
  expect(msg2).toContain('4 of its existing records were produced with other inputs');
  expect(msg2).toContain('3 records of two were produced with other agents (agents.agent2.model: "fake-b" → "fake-c")');
  expect(msg2).toContain('2 records were produced from another prompt text (data.jsonl line 2 (id q1))');
  expect(h.openai.stats.requests).toBe(before);

  const again = await retrySweep(h.env.client, sweepId, file, { rerunChanged: true });
  expect(again.notes[0]).toMatch(/^re-running 4 job\(s\)/);
  const second = await h.env.client.workflow.getHandle(sweepId).result();
  expect(second).toMatchObject({ status: 'completed', done: 4, reused: 2, failed: 0 });
  expect(h.openai.stats.requests - before).toBe(4 * 2);
  // The replaced records are kept; the new ones carry the new digests.
  const kept = readdirSync(path.join(recordsDir, '.superseded'));
  expect(kept).toHaveLength(4);
  const now = await readRecords<PromptRecord>(recordsDir);
  expect(now).toHaveLength(6);
  const q1one = now.find((r) => r.workflowId === `${sweepId}/one/b2/s0/q1`)!;
  expect(readFileSync(q1one.path, 'utf8')).not.toContain(records.find((r) => r.workflowId === q1one.workflowId)!.record.promptRef);

  // 3. Nothing changed since: a retry reuses all six and pays for nothing.
  const third = await retrySweep(h.env.client, sweepId, file);
  expect(third.notes).toEqual([]);
  const result = await h.env.client.workflow.getHandle(sweepId).result();
  expect(result).toMatchObject({ done: 0, reused: 6 });
  expect(h.openai.stats.requests - before).toBe(4 * 2);
  expect(existsSync(path.join(h.dir, '.toa', 'sweeps'))).toBe(true);
}, 300_000);
