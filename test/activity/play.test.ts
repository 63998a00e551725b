/**
 * The `play` activity (generation + reward in one) over real HTTP on loopback against the fake
 * OpenAI and fake reward servers (test doubles), inside MockActivityEnvironment so it sees a
 * workflow ID and run ID like in a worker. What matters: nothing paid for is paid twice.
 */
import * as fs from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { MockActivityEnvironment } from '@temporalio/testing';
import type { Info } from '@temporalio/activity';
import { createAgentQueueActivities, createMainQueueActivities, explicitAllowList } from '../../src/activities';
import type { PlayContext, PlayInput, PlayOutput, StoreSpec } from '../../src/activities/types';
import { playMemoNames } from '../../src/activities/playMemos';
import { rewardSchema } from '../../src/config/schema';
import { deriveSeed } from '../../src/search/prng';
import type { Action } from '../../src/search/types';
import { openStore } from '../../src/store';
import { fakeAgent } from '../support/agents';
import { startFakeOpenAI, type FakeOpenAI } from '../support/fakeOpenAI';
import { fakeRewardOf, startFakeReward, type FakeReward } from '../support/fakeReward';
import { expectFailure } from '../support/failures';
import { tmpDir, tmpStoreSpec } from '../support/tmp';

let openai: FakeOpenAI;
let reward: FakeReward;
let tmp: ReturnType<typeof tmpDir>;
let store: StoreSpec;
const REWARD = { offset: 0, scale: 1, noise: 0, seed: 1 };

let play: ReturnType<typeof createAgentQueueActivities>['play'];
let putPlayContext: ReturnType<typeof createMainQueueActivities>['putPlayContext'];

beforeAll(async () => {
  openai = await startFakeOpenAI({ models: { 'fake-a': { quality: 0.6, latencyMs: 40 }, 'fake-b': { quality: 0.3 } }, strictModels: true });
  reward = await startFakeReward(REWARD);
  // This worker may call the two doubles (no key) and use stores in the temp folder.
  const allow = explicitAllowList({ endpoints: [openai.url, reward.url], paths: [tmpdir()] });
  ({ play } = createAgentQueueActivities({ allow, env: {} }));
  ({ putPlayContext } = createMainQueueActivities({ allow }));
});
afterAll(async () => {
  await openai.close();
  await reward.close();
});
beforeEach(() => {
  tmp = tmpDir();
  store = tmpStoreSpec(tmp.dir);
  openai.setFaults([]);
  openai.reset();
  reward.setFaults([]);
  reward.reset();
});
afterEach(() => tmp.cleanup());

const fresh: Action = { id: 'r1', agent: 'a1', kind: 'fresh', inputs: [] };

/** A response text a play stored: in its prompt's scope of the store. */
async function responseOf(ref: string, workflowId = 'wf-1'): Promise<string> {
  const text = await openStore(store).scope(workflowId).getText(ref);
  if (text === undefined) throw new Error(`response ${ref} is not in the scope of ${workflowId}`);
  return text;
}

async function playInput(action: Action = fresh, inputRefs: string[] = [], seed = 5): Promise<PlayInput> {
  const s = openStore(store);
  const context: PlayContext = {
    agents: [fakeAgent(openai.url, { name: 'a1', model: 'fake-a' }), fakeAgent(openai.url, { name: 'a2', model: 'fake-b' })],
    reward: { type: 'http', url: reward.url, timeoutSeconds: 2 },
    templates: {},
    promptId: 'p7',
    promptRef: await s.put('What is 6 times 7?'),
    seed,
  };
  return { store, contextRef: await putPlayContext({ store, context }), action, inputRefs };
}

/** Runs `play` as an attempt (1 = first) inside the given workflow run. */
const inRun = (runId: string, workflowId = 'wf-1', attempt = 1) => {
  const env = new MockActivityEnvironment({ workflowExecution: { workflowId, runId }, attempt } as Partial<Info>);
  return { play: (input: PlayInput): Promise<PlayOutput> => env.run(play, input) as Promise<PlayOutput> };
};

test('generates with the agent named in the context, seeds the call, scores against the original prompt', async () => {
  const out = await inRun('run-1').play(await playInput());
  const text = await responseOf(out.ref);
  expect(out.reward).toBeCloseTo(fakeRewardOf(text, REWARD), 12);
  expect(out).toEqual({ ref: expect.any(String), reward: expect.any(Number), promptTokens: expect.any(Number), completionTokens: expect.any(Number) });
  const [req] = openai.requests();
  expect(req).toMatchObject({ model: 'fake-a', seed: deriveSeed(5, 'p7', 'r1') });
  expect(reward.requests()[0]!.body).toMatchObject({ prompt: 'What is 6 times 7?', response: text, model: 'fake-a', promptId: 'p7' });
});

test('a reward failure does not re-pay the generation: the retry reuses it and scores again', async () => {
  reward.setFaults([{ kind: 'server-error', next: 1 }]);
  const input = await playInput();
  const first = await expectFailure(inRun('run-1').play(input));
  expect(first.type).toBe('ServerError');
  expect(openai.stats.requests).toBe(1);
  const out = await inRun('run-1', 'wf-1', 2).play(input);
  expect(openai.stats.requests).toBe(1);
  expect(reward.stats.requests).toBe(2);
  expect(out.reward).toBeCloseTo(fakeRewardOf(await responseOf(out.ref), REWARD), 12);
});

test('a completed play retried in the same run (a lost completion) re-pays neither call', async () => {
  const input = await playInput();
  const a = await inRun('run-1').play(input);
  const b = await inRun('run-1', 'wf-1', 2).play(input);
  expect(b).toEqual(a);
  expect(openai.stats.requests).toBe(1);
  expect(reward.stats.requests).toBe(1);
});

test('a new run of the same workflow (sweep retry) reuses the generation but scores it again', async () => {
  const input = await playInput();
  const a = await inRun('run-1').play(input);
  const b = await inRun('run-2').play(input);
  expect(b.ref).toBe(a.ref);
  expect(openai.stats.requests).toBe(1);
  expect(reward.stats.requests).toBe(2);
});

test('memos never leak across workflows, actions or different requests', async () => {
  const input = await playInput();
  await inRun('run-1', 'wf-1').play(input);
  await inRun('run-1', 'wf-2').play(input);
  await inRun('run-1', 'wf-1').play(await playInput({ ...fresh, id: 'r2' }));
  await inRun('run-1', 'wf-1').play(await playInput({ ...fresh, agent: 'a2' }));
  expect(openai.stats.requests).toBe(4);
  expect(openai.requests().map((r) => r.model)).toEqual(['fake-a', 'fake-a', 'fake-a', 'fake-b']);
});

test('racing attempts of one play (one timed out but still running) both return the first stored generation', async () => {
  const input = await playInput();
  const [a, b] = await Promise.all([inRun('run-1').play(input), inRun('run-1', 'wf-1', 2).play(input)]);
  // Both were in flight before either memo existed (the model takes 40 ms).
  expect(openai.stats.requests).toBe(2);
  expect(b.ref).toBe(a.ref);
  expect(b.reward).toBe(a.reward);
});

test('a generation an earlier release memoised in the global memos is reused, not paid again', async () => {
  const input = await playInput();
  const s = openStore(store);
  // What release 0.1 left for this play: the text in the global texts, the facts in a global memo.
  const ref = await s.put('Forty-two, paid for before the upgrade.');
  const { generation } = playMemoNames('wf-1', input.contextRef, input.action, input.inputRefs);
  await s.claim(generation, JSON.stringify({ ref, promptTokens: 11, completionTokens: 7, latencyMs: 5 }));
  const out = await inRun('run-2').play(input);
  expect(out).toMatchObject({ ref, promptTokens: 11, completionTokens: 7 });
  expect(openai.stats.requests).toBe(0);
  expect(reward.requests()[0]!.body).toMatchObject({ response: 'Forty-two, paid for before the upgrade.' });
});

test('refinements pass their input texts through the store', async () => {
  const first = await inRun('run-1').play(await playInput());
  const refine: Action = { id: 'r2', agent: 'a2', kind: 'refine', inputs: ['r1'] };
  await inRun('run-1').play(await playInput(refine, [first.ref]));
  const body = JSON.stringify(openai.requests()[1]!.messages);
  expect(body).toContain(JSON.stringify(await responseOf(first.ref)).slice(1, -1));
});

test('an agent missing from the context is a non-retryable ConfigError', async () => {
  const f = await expectFailure(inRun('run-1').play(await playInput({ ...fresh, agent: 'nobody' })));
  expect(f).toMatchObject({ type: 'ConfigError', nonRetryable: true });
  expect(f.message).toMatch(/agent "nobody"/);
  expect(openai.stats.requests).toBe(0);
});

test('a play this worker is not allowed to make fails as NotAllowed before any request (reward URL, key variable, store)', async () => {
  // Allowed: the model double with GOOD_KEY, stores under the temp folder; the reward double is not.
  const allow = explicitAllowList({ keys: [`GOOD_KEY=${openai.url}`], paths: [tmpdir()] });
  const strict = createAgentQueueActivities({ allow, env: { GOOD_KEY: 'k-good', OTHER_KEY: 'k-other' } }).play;
  const run = (input: PlayInput) => new MockActivityEnvironment({ workflowExecution: { workflowId: 'wf-x', runId: 'r' } } as Partial<Info>).run(strict, input);

  const rewardRefused = await expectFailure(run(await playInput()));
  expect(rewardRefused).toMatchObject({ type: 'NotAllowed', nonRetryable: true });
  expect(rewardRefused.message).toContain(reward.url);
  expect(rewardRefused.message).toContain(`--allow-endpoint ${reward.url}`);

  const s = openStore(store);
  const withAgentKey = async (apiKeyEnv: string) => ({
    store,
    action: fresh,
    inputRefs: [],
    contextRef: await putPlayContext({
      store,
      context: { agents: [fakeAgent(openai.url, { name: 'a1', model: 'fake-a', apiKeyEnv })], reward: rewardSchema.parse({ type: 'chrf' }), templates: {}, promptId: 'p', promptRef: await s.put('x'), referenceRef: await s.put('y'), seed: 1 },
    }),
  });
  const keyRefused = await expectFailure(run(await withAgentKey('OTHER_KEY')));
  expect(keyRefused).toMatchObject({ type: 'NotAllowed', nonRetryable: true });
  expect(keyRefused.message).toContain('does not send the key variable OTHER_KEY');
  expect(keyRefused.message).toContain('GOOD_KEY');
  expect(openai.stats.requests + reward.stats.requests).toBe(0);
  // The same play with the key configured for that endpoint goes through.
  await run(await withAgentKey('GOOD_KEY'));
  expect(openai.requests().map((q) => q.authorization)).toEqual(['Bearer k-good']);

  const outside = tmpDir();
  try {
    const elsewhere = { kind: 'fs' as const, root: path.join(outside.dir, 'store') };
    const strictOutside = createAgentQueueActivities({ allow: explicitAllowList({ endpoints: [openai.url, reward.url], paths: [store.root] }), env: {} }).play;
    const f = await expectFailure(strictOutside({ ...(await playInput()), store: elsewhere }));
    expect(f).toMatchObject({ type: 'NotAllowed', nonRetryable: true });
    expect(f.message).toContain(`the response store ${elsewhere.root} is outside the paths this worker may write`);
    expect(fs.existsSync(elsewhere.root)).toBe(false);
  } finally {
    outside.cleanup();
  }
});

test('outside an activity (no workflow run) nothing is memoised', async () => {
  const input = await playInput();
  await play(input);
  await play(input);
  expect(openai.stats.requests).toBe(2);
});

/** True once `ref`'s target has been garbage-collected (full GCs, a few turns apart). */
async function collected(ref: WeakRef<object>): Promise<boolean> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const turn = () => new Promise((r) => setTimeout(r, 20));
  for (let i = 0; i < 10; i++) {
    // deref() keeps the target alive until the end of the current job: collect in a later one
    await turn();
    gc();
    await turn();
    if (ref.deref() === undefined) return true;
  }
  return false;
}

test('a finished play keeps nothing of its activity alive (no cached promise, no pending timer)', async () => {
  // A worker runs thousands of plays: anything made inside an activity that outlives it (a cached
  // promise, an unexpired timeout timer) holds that activity's whole context in memory.
  await inRun('warm-up').play(await playInput()); // connections to the doubles are opened (and kept) here
  const input = await playInput(fresh, [], 6); // a context this worker has not loaded yet
  const ref = await (async () => {
    const env = new MockActivityEnvironment({ workflowExecution: { workflowId: 'wf-1', runId: 'run-2' } } as Partial<Info>);
    await env.run(play, input);
    return new WeakRef(env.context);
  })();
  expect(openai.stats.requests).toBe(2);
  expect(await collected(ref)).toBe(true);
});
