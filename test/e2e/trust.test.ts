/**
 * E2E: what a worker does for a stranger. Anyone who can reach the Temporal frontend can start a
 * `promptSearch` or a `sweep` with any input. A real `toa worker -c legit.yaml` (real process,
 * real dev server) holds two secrets in its environment; the "stranger" starts workflows through
 * the client with inputs that would send those secrets, or read and write files, where the
 * worker's configuration does not allow. The test doubles (fake OpenAI-compatible and reward
 * servers, each in its own process) log every request with its Authorization header.
 *
 * Each case must fail NON-retryably with NotAllowed naming what was refused, before any request
 * (not even the allowed model is paid for), and the secret must reach no double.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { AgentConfig, MethodSpec, RewardSpec } from '../../src/config/schema';
import { agentSchema, datasetSchema, methodSchema } from '../../src/config/schema';
import { failureOf } from '../../src/common/failures';
import { fnv1a } from '../../src/common/hash';
import { agentTaskQueue, MAIN_TASK_QUEUE } from '../../src/common/taskQueues';
import { openStore } from '../../src/store';
import type { PromptSearchInput } from '../../src/workflows/promptSearch';
import type { SweepPlan } from '../../src/workflows/sweepState';
import { fakeRewardControl } from '../../src/testing';
import { startFake, useE2E, waitClosed, writeDataset, writeSweep, type E2E, type FakeProc, type Proc } from './helpers';

jest.setTimeout(180_000);

const SECRET = 'stranger-wants-this-0451';
const LEGIT_KEY = 'legit-key-7d1e';

const setup = useE2E('trust', { defaultModel: { latencyMs: 20 }, seed: 1 });
let e: E2E;
let openai: FakeProc;
let reward: FakeProc;
let strangerReward: FakeProc;
let strangerOpenAI: FakeProc;
let worker: Proc;
let legitAgent: AgentConfig;
let legitReward: RewardSpec;
let store: { kind: 'fs'; root: string };
let recordsDir: string;
let promptRef: string;
const random: MethodSpec = methodSchema.parse({ type: 'random', agent: 'alpha' });

beforeAll(async () => {
  ({ e, openai, reward } = setup);
  strangerReward = await startFake(e, 'reward', 'stranger-reward', {});
  strangerOpenAI = await startFake(e, 'openai', 'stranger-openai', { defaultModel: { latencyMs: 20 } });
  writeDataset(e.dir, 2);
  const file = writeSweep(e.dir, {
    name: 'legit',
    openaiUrl: openai.url,
    rewardUrl: reward.url,
    agents: [{ name: 'alpha', model: 'model-a', apiKeyEnv: 'LEGIT_KEY' }],
    methods: '  - type: random\n    agent: alpha',
    budgets: [1],
  });
  legitAgent = agentSchema.parse({
    name: 'alpha',
    baseURL: openai.url,
    model: 'model-a',
    apiKeyEnv: 'LEGIT_KEY',
    timeoutSeconds: 5,
    maxConcurrency: 4,
    sampling: { maxTokens: 64 },
  });
  legitReward = { type: 'http', url: reward.url, timeoutSeconds: 2 };
  // The legit sweep's output folder (`output: out`): its store and records.
  store = { kind: 'fs', root: path.join(e.dir, 'out', 'store') };
  recordsDir = path.join(e.dir, 'out', 'legit', 'records');
  // A prompt of the victim's sweeps: its key is visible to anyone who can read their histories.
  promptRef = await openStore(store).put('What is 6 times 7?');
  worker = e.toa('trust-worker', ['worker', '-c', file], { LEGIT_KEY, SOME_SECRET: SECRET });
  await worker.waitFor(/worker ready/, 60_000);
});

function strangerInput(over: Partial<PromptSearchInput>): PromptSearchInput {
  return {
    promptId: 'p1',
    promptRef,
    method: random,
    budget: 1,
    seed: 1,
    agents: [legitAgent],
    reward: legitReward,
    store,
    templates: {},
    recordsDir,
    retry: { maxAttempts: 2, initialIntervalSeconds: 0.2, maxIntervalSeconds: 1 },
    ...over,
  } as PromptSearchInput;
}

/** Starts a workflow as the stranger would and returns how it ended (status, failure type, message). */
async function runAsStranger(
  type: 'promptSearch' | 'sweep',
  workflowId: string,
  arg: unknown,
): Promise<{ status: string; type?: string; message?: string }> {
  const handle = await e.client.workflow.start(type, { workflowId, taskQueue: MAIN_TASK_QUEUE, args: [arg] });
  const status = await waitClosed(e.client, workflowId, 60_000);
  const err = await handle.result().then(
    () => undefined,
    (x: unknown) => x,
  );
  return err === undefined ? { status } : { status, ...failureOf(err) };
}

const requestsTo = async (f: FakeProc) => (await f.control.stats()).requests;
const authHeaders = async (f: FakeProc) => (await f.control.requests()).map((r) => r.authorization ?? '');
const rewardAuthHeaders = async (f: FakeProc) => (await fakeRewardControl(f.url).requests()).map((r) => r.authorization ?? '');

afterAll(async () => {
  // The worker never printed a secret either.
  expect(`${worker?.out}${worker?.err}`).not.toContain(SECRET);
});

test('a reward URL the worker was not configured with gets no request and no key: NotAllowed naming the URL', async () => {
  const before = await requestsTo(openai);
  const r = await runAsStranger(
    'promptSearch',
    'stranger-reward-url',
    strangerInput({
      reward: { type: 'http', url: strangerReward.url, apiKeyEnv: 'SOME_SECRET', timeoutSeconds: 2 } as RewardSpec,
    }),
  );
  expect(await rewardAuthHeaders(strangerReward)).toEqual([]);
  expect(await fakeRewardControl(strangerReward.url).stats()).toMatchObject({ requests: 0 });
  expect(r).toMatchObject({ status: 'FAILED', type: 'NotAllowed' });
  expect(r.message).toContain(strangerReward.url);
  // Refused before the play's generation: not even the allowed model was paid for.
  expect(await requestsTo(openai)).toBe(before);
});

test('a key variable the worker was not configured to send to an allowed reward URL is refused: NotAllowed naming the variable', async () => {
  const before = await fakeRewardControl(reward.url).stats();
  const r = await runAsStranger(
    'promptSearch',
    'stranger-reward-key',
    strangerInput({ reward: { ...legitReward, apiKeyEnv: 'SOME_SECRET' } as RewardSpec }),
  );
  expect(r).toMatchObject({ status: 'FAILED', type: 'NotAllowed' });
  expect(r.message).toContain('SOME_SECRET');
  expect((await fakeRewardControl(reward.url).stats()).requests).toBe(before.requests);
  expect((await rewardAuthHeaders(reward)).some((h) => h.includes(SECRET))).toBe(false);
});

test("an agent's key variable other than the one configured for its endpoint is refused: NotAllowed naming the variable", async () => {
  const before = await requestsTo(openai);
  // Same name, endpoint and model as the worker's agent, so the play lands on the queue it polls.
  const r = await runAsStranger(
    'promptSearch',
    'stranger-agent-key',
    strangerInput({ agents: [{ ...legitAgent, apiKeyEnv: 'SOME_SECRET' }] }),
  );
  expect((await authHeaders(openai)).filter((h) => h.includes(SECRET))).toEqual([]);
  expect(r).toMatchObject({ status: 'FAILED', type: 'NotAllowed' });
  expect(r.message).toContain('SOME_SECRET');
  expect(await requestsTo(openai)).toBe(before);
});

test('an agent endpoint the worker was not configured with is refused, even on a forged queue name: NotAllowed naming the URL', async () => {
  // The agent queue's name hashes endpoint and model with 32-bit FNV-1a, which is not a secret
  // nor a signature: a model name can be chosen so that a foreign endpoint maps to the queue
  // this worker polls. The queue is not the trust boundary; the worker's allow-list is.
  const target = agentTaskQueue(legitAgent);
  const model = forgeModelName(`${strangerOpenAI.url}|`, parseInt(target.slice(-8), 16));
  const forged = { ...legitAgent, baseURL: strangerOpenAI.url, model };
  expect(agentTaskQueue(forged)).toBe(target);

  const r = await runAsStranger('promptSearch', 'stranger-agent-url', strangerInput({ agents: [forged] }));
  expect(await authHeaders(strangerOpenAI)).toEqual([]);
  expect(await requestsTo(strangerOpenAI)).toBe(0);
  expect(r).toMatchObject({ status: 'FAILED', type: 'NotAllowed' });
  expect(r.message).toContain(strangerOpenAI.url);
});

test('a records folder outside the paths the worker may write is refused: NotAllowed naming the folder, nothing written there', async () => {
  const elsewhere = path.join(e.dir, 'elsewhere', 'records');
  const r = await runAsStranger('promptSearch', 'stranger-records', strangerInput({ recordsDir: elsewhere }));
  expect(r).toMatchObject({ status: 'FAILED', type: 'NotAllowed' });
  expect(r.message).toContain(elsewhere);
  expect(fs.existsSync(elsewhere)).toBe(false);
});

test('a dataset outside the paths the worker may read is refused: NotAllowed naming the file, its lines reach no model', async () => {
  const privateDir = path.join(e.dir, 'private');
  fs.mkdirSync(privateDir);
  const file = path.join(privateDir, 'notes.jsonl');
  fs.writeFileSync(file, `${JSON.stringify({ id: 'n1', instruction: 'the private note 7f3a' })}\n`);
  const plan: SweepPlan = {
    name: 'stranger',
    dataset: datasetSchema.parse({ path: file }),
    agents: [legitAgent],
    reward: legitReward,
    methods: [random],
    budgets: [1],
    seeds: [0],
    store,
    recordsDir,
    templates: {},
    maxRunningPrompts: 2,
    retry: { maxAttempts: 2, initialIntervalSeconds: 0.2, maxIntervalSeconds: 1 },
  } as SweepPlan;
  const r = await runAsStranger('sweep', 'stranger-dataset', { sweepId: 'stranger-dataset', plan });
  // However the sweep reports it, the paging activity failed with NotAllowed naming the file.
  const failures = await activityFailures('stranger-dataset');
  expect(failures).toContainEqual(expect.objectContaining({ type: 'NotAllowed', message: expect.stringContaining(file) }));
  expect(r.status).not.toBe('COMPLETED');
  const sent = (await openai.control.requests()).flatMap((q) => q.messages.map((m) => m.content));
  expect(sent.some((c) => c.includes('private note 7f3a'))).toBe(false);
});

/** Failed activity attempts in a workflow's history: type and message. */
async function activityFailures(workflowId: string): Promise<Array<{ type: string; message: string }>> {
  const history = await e.client.workflow.getHandle(workflowId).fetchHistory();
  return (history.events ?? []).flatMap((ev) => {
    const f = ev.activityTaskFailedEventAttributes?.failure;
    return f ? [{ type: f.applicationFailureInfo?.type ?? '', message: f.message ?? '' }] : [];
  });
}

/**
 * A model name M such that fnv1a(prefix + M) = target: meet in the middle over FNV-1a's
 * invertible steps (2^20 forward states, backward suffixes until one meets them; < 1 s).
 */
function forgeModelName(prefix: string, target: number): string {
  const P = 0x01000193;
  let inv = P;
  for (let i = 0; i < 5; i++) inv = Math.imul(inv, (2 - Math.imul(P, inv)) | 0);
  expect(Math.imul(P, inv) >>> 0).toBe(1);
  const alphabet = 'abcdefghijklmnopqrstuvwxyz012345';
  const step = (h: number, c: number) => Math.imul((h ^ c) >>> 0, P) >>> 0;
  const back = (h: number, c: number) => ((Math.imul(h, inv) >>> 0) ^ c) >>> 0;
  const start = parseInt(fnv1a(`${prefix}m-`), 16);
  const forward = new Map<number, number>();
  for (let i = 0; i < 32 ** 4; i++) {
    let h = start;
    for (let k = 0; k < 4; k++) h = step(h, alphabet.charCodeAt((i >> (5 * k)) & 31));
    forward.set(h, i);
  }
  const word = (i: number, n: number) => Array.from({ length: n }, (_, k) => alphabet[(i >> (5 * k)) & 31]).join('');
  for (let j = 0; j < 32 ** 4; j++) {
    // suffix s (4 chars) read backwards from the target
    const s = word(j, 4);
    let h = target;
    for (let k = 3; k >= 0; k--) h = back(h, s.charCodeAt(k));
    const i = forward.get(h);
    if (i !== undefined) {
      const model = `m-${word(i, 4)}${s}`;
      expect(parseInt(fnv1a(`${prefix}${model}`), 16)).toBe(target);
      return model;
    }
  }
  throw new Error('no FNV-1a preimage found');
}
