/**
 * A play that fails for its own content (issue 11 item 5), on a real Temporal dev server with the
 * project's workers and loopback test doubles for the model endpoints and the reward model: under
 * `onPlayFailure: continue` the prompt completes with its N plays, the failed one counted and
 * visible in the record, the summary, the workflow's details and the sweep's progress; under
 * `fail-prompt` (and for executions whose input predates the field) it fails as before.
 */
import * as path from 'node:path';
import { writeFileSync } from 'node:fs';
import { promptSearch, type PromptSearchInput } from '../../src/workflows/promptSearch';
import { sweep, type SweepInput } from '../../src/workflows/sweep';
import { sweepProgressQuery } from '../../src/workflows/signals';
import { workflowMetadataQuery } from '@temporalio/workflow';
import { MAIN_TASK_QUEUE } from '../../src/common/taskQueues';
import { failureOf } from '../../src/common/failures';
import { readRecord } from '../../src/store/records';
import { textKey } from '../../src/store';
import { datasetSchema, methodSchema, type MethodSpec } from '../../src/config/schema';
import type { PromptRecord } from '../../src/common/records';
import type { SweepPlan, SweepProgress } from '../../src/workflows/sweepState';
import { describeProgress } from '../../src/client/watch';
import { promptInput, startHarness, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await h.startWorkers();
});
afterAll(async () => h?.close());
afterEach(() => {
  h.openai.setFaults([]);
  h.reward.setFaults([]);
});

const toa = () => methodSchema.parse({ type: 'toa', alpha: 0.1, tau: 1 });

const input = (method: MethodSpec, budget: number, promptId: string, over: Partial<PromptSearchInput> = {}) =>
  promptInput(h, method, budget, promptId, over);

async function record(workflowId: string): Promise<PromptRecord> {
  return (await readRecord<PromptRecord>(h.recordsDir, workflowId))!.record;
}

test('continue: a 400 on one play is recorded as a failed play; the prompt completes with its N plays', async () => {
  // TOA tries each root model node once first, so agent2 (fake-b) makes the second play: it gets a 400.
  h.openai.setFaults([{ kind: 'bad-request', model: 'fake-b', next: 1 }]);
  const before = h.openai.stats.requests;
  const summary = await h.env.client.workflow.execute(promptSearch, {
    workflowId: 'wf-play-400-continue',
    taskQueue: MAIN_TASK_QUEUE,
    args: [await input(toa(), 8, 'p-400-continue', { onPlayFailure: 'continue' })],
  });
  expect(h.openai.stats.requests - before).toBe(8); // the 400 was not retried, and 8 plays were made
  expect(summary).toMatchObject({ generations: 7, failedPlays: 1, failedPlaysByType: { BadRequest: 1 } });

  const r = await record('wf-play-400-continue');
  expect(r.result.responses).toHaveLength(7);
  expect(r.result.failedPlays).toHaveLength(1);
  const failed = r.result.failedPlays![0]!;
  expect(failed).toMatchObject({
    id: 'r1',
    agent: 'agent2',
    kind: 'fresh',
    inputs: [],
    order: 1,
    promptTokens: 0,
    completionTokens: 0,
  });
  expect(failed.error.type).toBe('BadRequest');
  expect(failed.error.message).toMatch(/HTTP 400/);
  expect(failed.ref).toBeUndefined();
  // Never a response, an input or the best.
  expect(r.result.responses.map((x) => x.id)).not.toContain('r1');
  expect(r.result.responses.flatMap((x) => x.inputs)).not.toContain('r1');
  expect(r.result.bestId).not.toBe('r1');
  expect(r.result.bestReward).toBe(Math.max(...r.result.responses.map((x) => x.reward)));
  // The tree: 8 plays backed up through the root, 7 response nodes, the failure on agent2's root model node.
  const nodes = r.result.tree!.nodes;
  expect(nodes.find((n) => n.type === 'root')!.visits).toBe(9);
  expect(nodes.filter((n) => n.type === 'response')).toHaveLength(7);
  expect(nodes.filter((n) => n.failedPlays)).toEqual([
    expect.objectContaining({ type: 'model', agent: 'agent2', parent: 'root', failedPlays: ['r1'] }),
  ]);
  // The generation failed, so nothing of it was paid: compute counts the 7 generations that answered.
  expect(r.compute.generations).toBe(7);

  const handle = h.env.client.workflow.getHandle('wf-play-400-continue');
  const desc = await handle.describe();
  expect(desc.searchAttributes.ToaStatus).toEqual(['completed']);
  expect(desc.searchAttributes.ToaGenerations).toEqual([8]);
  const meta = await handle.query(workflowMetadataQuery);
  expect(meta.currentDetails).toMatch(/play 8\/8 \(1 failed: BadRequest×1\).*\(done\)/);
  // The play's failure is in history once, not retried.
  const events = (await handle.fetchHistory()).events ?? [];
  const failures = events.filter((e) => e.activityTaskFailedEventAttributes);
  expect(failures).toHaveLength(1);
  expect(failures[0]!.activityTaskFailedEventAttributes!.failure!.applicationFailureInfo?.type).toBe('BadRequest');
});

test('fail-prompt, and inputs without the field (executions of earlier releases): the 400 fails the prompt as before', async () => {
  for (const [id, over] of [
    ['wf-play-400-fail', { onPlayFailure: 'fail-prompt' as const }],
    ['wf-play-400-unset', {}],
  ] as const) {
    h.openai.setFaults([{ kind: 'bad-request', model: 'fake-b', next: 1 }]);
    const before = h.openai.stats.requests;
    const run = h.env.client.workflow.execute(promptSearch, {
      workflowId: id,
      taskQueue: MAIN_TASK_QUEUE,
      args: [await input(toa(), 8, id, over)],
    });
    await expect(run).rejects.toThrow(/Workflow execution failed/);
    await run.catch((err: unknown) => {
      expect(failureOf(err).type).toBe('BadRequest');
      expect(failureOf(err).message).toMatch(/HTTP 400/);
    });
    expect(h.openai.stats.requests - before).toBe(2); // r0, then r1 failed: nothing more started
    const desc = await h.env.client.workflow.getHandle(id).describe();
    expect(desc.searchAttributes.ToaStatus).toEqual(['failed']);
    expect(await readRecord(h.recordsDir, id)).toBeUndefined();
  }
});

test('continue: an unparseable reward (MalformedResponse) fails only that play; its paid generation is counted and kept', async () => {
  // The first reward request answers {"reward": "high"}: r0's generation succeeded, its reward failed.
  h.reward.setFaults([{ kind: 'non-numeric-reward', next: 1 }]);
  const before = { gen: h.openai.stats.requests, rm: h.reward.stats.requests };
  const summary = await h.env.client.workflow.execute(promptSearch, {
    workflowId: 'wf-reward-unparseable',
    taskQueue: MAIN_TASK_QUEUE,
    args: [await input(toa(), 6, 'p-reward-unparseable', { onPlayFailure: 'continue' })],
  });
  expect(h.openai.stats.requests - before.gen).toBe(6);
  expect(h.reward.stats.requests - before.rm).toBe(6);
  expect(summary).toMatchObject({ generations: 5, failedPlays: 1, failedPlaysByType: { MalformedResponse: 1 } });
  const r = await record('wf-reward-unparseable');
  const failed = r.result.failedPlays![0]!;
  expect(failed).toMatchObject({ id: 'r0', agent: 'agent1', order: 0 });
  expect(failed.error).toMatchObject({ type: 'MalformedResponse' });
  expect(failed.error.message).toMatch(/field "reward" is/);
  // The generation was paid: its tokens count in compute, and its text is kept in the record.
  expect(failed.completionTokens).toBeGreaterThan(0);
  expect(failed.text!.length).toBeGreaterThan(0);
  expect(textKey(failed.text!)).toBe(failed.ref);
  expect(r.compute.generations).toBe(6);
  const scored = r.result.responses.reduce((s, x) => s + x.promptTokens + x.completionTokens, 0);
  expect(r.compute.promptTokens + r.compute.completionTokens).toBe(scored + failed.promptTokens + failed.completionTokens);

  // The same fault under fail-prompt fails the prompt with the reward's reason.
  h.reward.setFaults([{ kind: 'non-numeric-reward', next: 1 }]);
  const run = h.env.client.workflow.execute(promptSearch, {
    workflowId: 'wf-reward-unparseable-fail',
    taskQueue: MAIN_TASK_QUEUE,
    args: [await input(toa(), 6, 'p-reward-unparseable-fail', { onPlayFailure: 'fail-prompt' })],
  });
  await expect(run).rejects.toThrow(/Workflow execution failed/);
  await run.catch((err: unknown) => expect(failureOf(err).type).toBe('MalformedResponse'));
});

test('continue: a prompt whose every play fails still fails, saying so; failures that are not the play content fail at once', async () => {
  h.openai.setFaults([{ kind: 'bad-request', model: 'fake-a' }]);
  const run = h.env.client.workflow.execute(promptSearch, {
    workflowId: 'wf-every-play-failed',
    taskQueue: MAIN_TASK_QUEUE,
    args: [await input(methodSchema.parse({ type: 'random', agent: 'agent1' }), 3, 'p-every', { onPlayFailure: 'continue' })],
  });
  await expect(run).rejects.toThrow(/Workflow execution failed/);
  await run.catch((err: unknown) => {
    expect(failureOf(err).type).toBe('BadRequest');
    expect(failureOf(err).message).toMatch(/^every play failed: BadRequest ×3 \(first: .*HTTP 400/);
  });
  // A 404 says the model or URL is wrong, not the play's content: the prompt fails at its first play.
  h.openai.setFaults([{ kind: 'bad-request', model: 'fake-a', status: 404 }]);
  const before = h.openai.stats.requests;
  const wrong = h.env.client.workflow.execute(promptSearch, {
    workflowId: 'wf-play-404',
    taskQueue: MAIN_TASK_QUEUE,
    args: [await input(toa(), 6, 'p-404', { onPlayFailure: 'continue' })],
  });
  await expect(wrong).rejects.toThrow(/Workflow execution failed/);
  await wrong.catch((err: unknown) => expect(failureOf(err).message).toMatch(/HTTP 404 \(wrong base URL or model name\?\)/));
  expect(h.openai.stats.requests - before).toBe(1);
});

test('the sweep passes onPlayFailure to its prompts and counts failed plays by type in its progress', async () => {
  const file = path.join(h.dir, 'failing-plays.jsonl');
  writeFileSync(file, ['a', 'b', 'c'].map((id) => JSON.stringify({ id, instruction: `Question ${id}?` })).join('\n') + '\n');
  const plan = (name: string, onPlayFailure: SweepPlan['onPlayFailure']): SweepPlan => ({
    name,
    dataset: datasetSchema.parse({ path: file }),
    agents: h.agents.slice(0, 3),
    reward: h.rewardSpec,
    methods: [toa()],
    budgets: [4],
    seeds: [0],
    store: h.store,
    recordsDir: path.join(h.dir, name, 'records'),
    failuresFile: path.join(h.dir, name, 'failures.jsonl'),
    templates: {},
    maxRunningPrompts: 3,
    onPlayFailure,
  });
  const runSweep = async (name: string, onPlayFailure: SweepPlan['onPlayFailure']): Promise<SweepProgress> => {
    h.openai.setFaults([{ kind: 'bad-request', model: 'fake-b', next: 1 }]);
    return h.env.client.workflow.execute(sweep, {
      workflowId: name,
      taskQueue: MAIN_TASK_QUEUE,
      args: [{ sweepId: name, plan: plan(name, onPlayFailure) } satisfies SweepInput],
    });
  };

  const going = await runSweep('sweep-plays-continue', 'continue');
  expect(going).toMatchObject({ status: 'completed', done: 3, failed: 0, failedPlays: 1, failedPlaysByType: { BadRequest: 1 } });
  expect(going.compute.generations).toBe(11); // 12 plays, one of them a 400 that produced nothing
  expect(describeProgress(going)).toContain('1 failed plays in completed prompts: BadRequest×1');
  const handle = h.env.client.workflow.getHandle('sweep-plays-continue');
  expect((await handle.query(sweepProgressQuery)).failedPlays).toBe(1);
  expect((await handle.query(workflowMetadataQuery)).currentDetails).toContain('1 failed plays in completed prompts');

  const failing = await runSweep('sweep-plays-fail', 'fail-prompt');
  expect(failing).toMatchObject({
    status: 'completed_with_failures',
    done: 2,
    failed: 1,
    failedPlays: 0,
    errorsByType: { BadRequest: 1 },
  });
});
