/**
 * promptSearch against a real Temporal dev server, real workers, and loopback test doubles
 * for the model endpoints and the reward model.
 */
import { searchAttributeUpdates, ToaSearchAttributes } from '../../src/common/searchAttributes';
import { promptSearch, type PromptSearchInput } from '../../src/workflows/promptSearch';
import { MAIN_TASK_QUEUE } from '../../src/common/taskQueues';
import { readRecord } from '../../src/store/records';
import * as path from 'node:path';
import { readdirSync, statSync } from 'node:fs';
import { openStore, recordPath, textKey } from '../../src/store';
import type { MethodSpec } from '../../src/config/schema';
import { methodSchema } from '../../src/config/schema';
import type { PromptRecord } from '../../src/common/records';
import { promptInput, startHarness, type Harness } from './harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await h.startWorkers();
});
afterAll(async () => h?.close());

const input = (method: MethodSpec, budget: number, promptId: string, over: Partial<PromptSearchInput> = {}) =>
  promptInput(h, method, budget, promptId, over);

test('TOA with K=3, N=16 completes with 16 scored responses and the argmax as best', async () => {
  const before = h.openai.stats.requests;
  const method = methodSchema.parse({ type: 'toa', alpha: 0.1, tau: 1 });
  const summary = await h.env.client.workflow.execute(promptSearch, {
    workflowId: 'wf-toa-16',
    taskQueue: MAIN_TASK_QUEUE,
    args: [await input(method, 16, 'p-toa')],
  });
  expect(summary.generations).toBe(16);
  expect(h.openai.stats.requests - before).toBe(16);

  const rec = await readRecord<PromptRecord>(h.recordsDir, 'wf-toa-16');
  expect(rec).toBeDefined();
  const r = rec!.record;
  expect(r.result.responses).toHaveLength(16);
  const max = Math.max(...r.result.responses.map((x) => x.reward));
  expect(r.result.bestReward).toBe(max);
  expect(summary.bestReward).toBe(max);
  expect(r.result.responses.find((x) => x.id === r.result.bestId)!.reward).toBe(max);
  // The record alone is enough for export: every response's text is in it (its sha256 is its ref);
  // the best one also stays in the store under the summary's bestRef.
  const store = openStore(h.store);
  for (const resp of r.result.responses) expect(textKey(resp.text!)).toBe(resp.ref);
  expect(r.bestText).toBe(r.result.responses.find((x) => x.id === r.result.bestId)!.text);
  expect(await store.get(summary.bestRef)).toBe(r.bestText);
  // The tree rebuilt from the trace: root visits = 1 + plays.
  const root = r.result.tree!.nodes.find((n) => n.type === 'root')!;
  expect(root.visits).toBe(17);
  expect(r.result.tree!.nodes.filter((n) => n.type === 'response')).toHaveLength(16);
  // Refinements really sent the parent's text to the endpoint.
  const refine = r.result.responses.find((x) => x.kind === 'refine');
  if (refine) {
    const parentText = r.result.responses.find((x) => x.id === refine.inputs[0])!.text!;
    expect(h.openai.requests().some((q) => q.messages.some((m) => m.content.includes(parentText)))).toBe(true);
  }
  expect(r.compute.generations).toBe(16);
  expect(r.compute.promptTokens).toBeGreaterThan(0);

  const desc = await h.env.client.workflow.getHandle('wf-toa-16').describe();
  expect(desc.searchAttributes.ToaStatus).toEqual(['completed']);
  expect(desc.searchAttributes.ToaGenerations).toEqual([16]);
});

const baselines: Array<[string, object]> = [
  ['random', { type: 'random', agent: 'agent2' }],
  ['prs', { type: 'prs', agent: 'agent3' }],
  ['ensemble', { type: 'ensemble' }],
  ['sequential', { type: 'sequential' }],
  ['moa', { type: 'moa', layers: 3 }],
];

test.each(baselines)('%s runs end to end with exactly N generations', async (name, spec) => {
  const method = methodSchema.parse(spec);
  const before = h.openai.stats.requests;
  const summary = await h.env.client.workflow.execute(promptSearch, {
    workflowId: `wf-${name}-7`,
    taskQueue: MAIN_TASK_QUEUE,
    args: [await input(method, 7, `p-${name}`)],
  });
  expect(summary.generations).toBe(7);
  expect(h.openai.stats.requests - before).toBe(7);
  const rec = (await readRecord<PromptRecord>(h.recordsDir, `wf-${name}-7`))!.record;
  expect(rec.result.responses).toHaveLength(7);
  expect(rec.result.bestReward).toBe(Math.max(...rec.result.responses.map((x) => x.reward)));
  if (name === 'random') expect(new Set(rec.result.responses.map((x) => x.agent))).toEqual(new Set(['agent2']));
  if (name === 'moa') expect(rec.result.responses.filter((x) => x.kind === 'aggregate').length).toBe(4);
});

test('a non-retryable endpoint error fails the prompt with the reason, after no retries', async () => {
  h.openai.setFaults([{ kind: 'bad-request', next: 1 }]);
  const before = h.openai.stats.requests;
  const method = methodSchema.parse({ type: 'random', agent: 'agent1' });
  await expect(
    h.env.client.workflow.execute(promptSearch, {
      workflowId: 'wf-bad-request',
      taskQueue: MAIN_TASK_QUEUE,
      args: [await input(method, 1, 'p-bad')],
    }),
  ).rejects.toThrow(/Workflow execution failed/);
  expect(h.openai.stats.requests - before).toBe(1);
  const desc = await h.env.client.workflow.getHandle('wf-bad-request').describe();
  expect(desc.searchAttributes.ToaStatus).toEqual(['failed']);
  h.openai.setFaults([]);
});

test('429 and 500 are retried by Temporal and the search still completes', async () => {
  h.openai.setFaults([
    { kind: 'rate-limit', next: 1, retryAfterSeconds: 1 },
    { kind: 'server-error', next: 1 },
  ]);
  const method = methodSchema.parse({ type: 'random', agent: 'agent1' });
  const summary = await h.env.client.workflow.execute(promptSearch, {
    workflowId: 'wf-retries',
    taskQueue: MAIN_TASK_QUEUE,
    args: [await input(method, 2, 'p-retry')],
  });
  expect(summary.generations).toBe(2);
  expect(h.openai.stats.faults['rate-limit']).toBeGreaterThanOrEqual(1);
  expect(h.openai.stats.faults['server-error']).toBeGreaterThanOrEqual(1);
  h.openai.setFaults([]);
});

test('one activity per play: a failing reward is retried without re-paying the generation', async () => {
  h.reward.setFaults([{ kind: 'server-error', next: 3 }]);
  const before = { gen: h.openai.stats.requests, rm: h.reward.stats.requests };
  const method = methodSchema.parse({ type: 'toa', alpha: 0.1, tau: 1 });
  const summary = await h.env.client.workflow.execute(promptSearch, {
    workflowId: 'wf-reward-flaky',
    taskQueue: MAIN_TASK_QUEUE,
    args: [await input(method, 6, 'p-reward-flaky')],
  });
  h.reward.setFaults([]);
  expect(summary.generations).toBe(6);
  expect(h.openai.stats.requests - before.gen).toBe(6);
  expect(h.reward.stats.requests - before.rm).toBe(6 + 3);

  // The history: the patch markers (one-activity-per-play, deprecated; prompt-search-0.2), one
  // context local activity, then exactly one `play` per play.
  const history = await h.env.client.workflow.getHandle('wf-reward-flaky').fetchHistory();
  const events = history.events ?? [];
  const markers = events.filter((e) => e.markerRecordedEventAttributes).map((e) => e.markerRecordedEventAttributes!.markerName);
  expect(markers).toEqual(['core_patch', 'core_patch', 'core_local_activity']);
  const types = events.filter((e) => e.activityTaskScheduledEventAttributes).map((e) => e.activityTaskScheduledEventAttributes!.activityType!.name);
  expect(types).toEqual([...Array(6).fill('play'), 'writePromptRecord']);
  // Retried plays show their last failure (the reward's 500) on the attempt that succeeded.
  const retried = events.filter((e) => (e.activityTaskStartedEventAttributes?.attempt ?? 1) > 1);
  expect(retried.length).toBeGreaterThan(0);
  expect(retried[0]!.activityTaskStartedEventAttributes!.lastFailure!.message).toMatch(/500/);
  // Previews come from the store, not through history.
  const rec = (await readRecord<PromptRecord>(h.recordsDir, 'wf-reward-flaky'))!.record;
  for (const r of rec.result.responses) expect(r.preview.length).toBeGreaterThan(0);
});

test('a failing prompt starts no new plays while the ones in flight settle', async () => {
  // agent1 answers at once with a non-retryable 400; agent4's play takes 2.5 s and then succeeds.
  h.openai.setFaults([{ kind: 'bad-request', model: 'fake-a', next: 1 }]);
  const before = h.openai.stats.requests;
  const method = methodSchema.parse({ type: 'toa', alpha: 0.1, tau: 1, parallelPlays: 2 });
  const args = { ...(await input(method, 8, 'p-failing')), agents: [h.agents[0]!, h.agents[3]!] };
  await expect(h.env.client.workflow.execute(promptSearch, { workflowId: 'wf-failing-parallel', taskQueue: MAIN_TASK_QUEUE, args: [args] })).rejects.toThrow(
    /Workflow execution failed/,
  );
  h.openai.setFaults([]);
  const history = await h.env.client.workflow.getHandle('wf-failing-parallel').fetchHistory();
  const plays = (history.events ?? []).filter((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'play');
  expect(plays).toHaveLength(2);
  expect(h.openai.stats.requests - before).toBe(2);
  // The slow play did finish (its cost is known) before the prompt failed.
  expect((history.events ?? []).filter((e) => e.activityTaskCompletedEventAttributes)).toHaveLength(1);
});

test('a workflow reset to mid-search re-pays no generation and still writes its record', async () => {
  const method = methodSchema.parse({ type: 'toa', alpha: 0.1, tau: 1 });
  const first = await h.env.client.workflow.execute(promptSearch, {
    workflowId: 'wf-reset',
    taskQueue: MAIN_TASK_QUEUE,
    args: [await input(method, 6, 'p-reset')],
  });
  const handle = h.env.client.workflow.getHandle('wf-reset');
  const { runId } = await handle.describe();
  const events = (await handle.fetchHistory()).events ?? [];
  // The workflow task that followed the third play's completion: plays 1-3 stay in history (their
  // run-scoped reward memos belong to the old run), plays 4-6 run again in the new run.
  const thirdDone = events.filter((e) => e.activityTaskCompletedEventAttributes)[2]!;
  const resetPoint = events.find((e) => e.workflowTaskCompletedEventAttributes && Number(e.eventId) > Number(thirdDone.eventId))!;
  const before = { gen: h.openai.stats.requests, rm: h.reward.stats.requests };
  const { runId: newRunId } = await h.env.client.workflowService.resetWorkflowExecution({
    namespace: h.env.namespace ?? 'default',
    workflowExecution: { workflowId: 'wf-reset', runId },
    workflowTaskFinishEventId: resetPoint.eventId,
    requestId: 'reset-test-1',
    reason: 'test: reset mid-search',
  });
  const again = await h.env.client.workflow.getHandle('wf-reset', newRunId!).result();
  expect(again.generations).toBe(6);
  expect(again.bestReward).toBe(first.bestReward);
  expect(h.openai.stats.requests - before.gen).toBe(0);
  expect(h.reward.stats.requests - before.rm).toBe(3);
  const rec = (await readRecord<PromptRecord>(h.recordsDir, 'wf-reset'))!.record;
  expect(rec.result.responses).toHaveLength(6);
  expect(rec.result.bestReward).toBe(first.bestReward);
});

/** Files under `dir` (relative paths), temp files left out. */
function filesUnder(dir: string): Set<string> {
  return new Set((readdirSync(dir, { recursive: true }) as string[]).filter((f) => !f.startsWith('.tmp') && statSync(path.join(dir, f)).isFile()));
}

test('a finished prompt leaves O(1) files in the store, whatever its budget: no file per play', async () => {
  const method = methodSchema.parse({ type: 'toa', alpha: 0.1, tau: 1 });
  const added: Record<number, string[]> = {};
  // A first prompt with these settings stores what every later one shares (the digest texts).
  await h.env.client.workflow.execute(promptSearch, { workflowId: 'wf-files-warm-up', taskQueue: MAIN_TASK_QUEUE, args: [await input(method, 2, 'p-files-warm-up')] });
  for (const budget of [4, 16]) {
    const workflowId = `wf-files-${budget}`;
    const args = await input(method, budget, `p-files-${budget}`);
    const before = filesUnder(h.store.root);
    await h.env.client.workflow.execute(promptSearch, { workflowId, taskQueue: MAIN_TASK_QUEUE, args: [args] });
    added[budget] = [...filesUnder(h.store.root)].filter((f) => !before.has(f)).sort();
  }
  // The same three files for 4 plays and for 16: the play context, the best text, the pack.
  expect(added[16]!.length).toBe(added[4]!.length);
  expect(added[16]!.filter((f) => f.startsWith('texts'))).toHaveLength(2);
  expect(added[16]!.filter((f) => !f.startsWith('texts')).map((f) => path.dirname(f).split(path.sep)[0])).toEqual(['workflows']);
  for (const budget of [4, 16]) {
    // The plays' folder is gone; the record is linked as the prompt's pack (the same file).
    const scope = openStore(h.store).scope(`wf-files-${budget}`);
    expect(await scope.exists()).toBe(false);
    expect(statSync(scope.packPath).ino).toBe(statSync(recordPath(h.recordsDir, `wf-files-${budget}`)).ino);
  }
});

test('a failed prompt keeps its plays in the store: running it again re-pays none of them', async () => {
  // agent1 alone, one play at a time; its third request is refused (non-retryable).
  h.openai.setFaults([{ kind: 'bad-request', model: 'fake-a', every: 3 }]);
  const method = methodSchema.parse({ type: 'toa', alpha: 0.1, tau: 1 });
  const args = { ...(await input(method, 6, 'p-fail-keep')), agents: [h.agents[0]!] };
  const before = h.openai.stats.requests;
  await expect(h.env.client.workflow.execute(promptSearch, { workflowId: 'wf-fail-keep', taskQueue: MAIN_TASK_QUEUE, args: [args] })).rejects.toThrow(
    /Workflow execution failed/,
  );
  expect(h.openai.stats.requests - before).toBe(3);
  h.openai.setFaults([]);
  const scope = openStore(h.store).scope('wf-fail-keep');
  expect(readdirSync(scope.dir).filter((f) => f.startsWith('gen-'))).toHaveLength(2);
  const summary = await h.env.client.workflow.execute(promptSearch, { workflowId: 'wf-fail-keep', taskQueue: MAIN_TASK_QUEUE, args: [args] });
  expect(summary.generations).toBe(6);
  expect(h.openai.stats.requests - before).toBe(3 + 4);
  expect(await scope.exists()).toBe(false);
});

test('progress search attributes are upserted on the first outcome and then at most every 2 s, not once per play', async () => {
  const method = methodSchema.parse({ type: 'toa', alpha: 0.1, tau: 1 });
  const summary = await h.env.client.workflow.execute(promptSearch, {
    workflowId: 'wf-upserts',
    taskQueue: MAIN_TASK_QUEUE,
    args: [await input(method, 16, 'p-upserts')],
    typedSearchAttributes: searchAttributeUpdates({ status: 'running', generations: 0 }),
  });
  const history = await h.env.client.workflow.getHandle('wf-upserts').fetchHistory();
  const events = history.events ?? [];
  // Progress upserts (the SDK also upserts TemporalChangeVersion once per patch: not ours).
  const upserts = events.filter((e) => Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {}).some((k) => k.startsWith('Toa'))).length;
  const first = Number(events[0]!.eventTime!.seconds);
  const last = Number(events[events.length - 1]!.eventTime!.seconds);
  // The first outcome, one per 2 s of the run at most, and the final `completed`.
  expect(upserts).toBeLessThanOrEqual(2 + Math.ceil((last - first + 1) / 2));
  expect(upserts).toBeLessThan(summary.generations); // before: about one per play (14 for 16 plays)
  const final = await h.env.client.workflow.getHandle('wf-upserts').describe();
  expect(final.typedSearchAttributes.get(ToaSearchAttributes.generations)).toBe(16);
  expect(final.typedSearchAttributes.get(ToaSearchAttributes.bestReward)).toBe(summary.bestReward);
});
