/**
 * E2E: SIGKILL the worker process again and again during a 50-prompt × 2-method sweep.
 * The sweep completes, every record exists exactly once, and the generations paid twice are
 * bounded by kills × in-flight slots (measured and written to test-artifacts/).
 */
import * as path from 'node:path';
import {
  E2E,
  DEFAULT_AGENTS,
  readRecords,
  rng,
  sleep,
  sweepIdFrom,
  waitClosed,
  writeArtifact,
  writeDataset,
  writeSweep,
  type FakeProc,
  useE2E,
} from './helpers';
import { fakeRewardControl } from '../../src/testing';

jest.setTimeout(240_000);

const PROMPTS = 50;
const BUDGET = 4;
const KILLS = 5;
const SEED = 20240611;

let e: E2E;
let openai: FakeProc;
let reward: FakeProc;

const setup = useE2E('worker-crash', { defaultModel: { latencyMs: [100, 300] }, seed: 1 });
beforeAll(() => {
  ({ e, openai, reward } = setup);
});

test('worker SIGKILLed 5 times: the sweep completes, each record exactly once, re-paid generations bounded', async () => {
  const t0 = Date.now();
  const { ids } = writeDataset(e.dir, PROMPTS);
  const file = writeSweep(e.dir, {
    name: 'crash',
    openaiUrl: openai.url,
    rewardUrl: reward.url,
    budgets: [BUDGET],
    maxRunningPrompts: 12,
  });
  const start = await e.toaRun('sweep-start', ['sweep', 'start', file]);
  expect(start.exitCode).toBe(0);
  const sweepId = sweepIdFrom(start.out);

  const random = rng(SEED);
  const kills: Array<{ atMs: number; requestsBefore: number; inFlightAtKill: number }> = [];
  let worker = e.toa('worker-0', ['worker', '-c', file]);
  try {
    for (let k = 0; k < KILLS; k++) {
      await worker.waitFor(/worker ready/, 60000);
      // A random moment once the worker has started paying for generations.
      const before = (await openai.control.stats()).requests;
      const deadline = Date.now() + 30000;
      while ((await openai.control.stats()).requests === before && Date.now() < deadline) await sleep(50);
      await sleep(200 + Math.floor(random() * 2500));
      const s = await openai.control.stats();
      await worker.kill9();
      kills.push({ atMs: Date.now() - t0, requestsBefore: s.requests, inFlightAtKill: s.inFlight });
      worker = e.toa(`worker-${k + 1}`, ['worker', '-c', file]);
    }
    const status = await waitClosed(e.client, sweepId, 180000);
    expect(status).toBe('COMPLETED');
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${worker.tail()}`);
  }

  const progress = await e.client.workflow.getHandle(sweepId).result();
  expect(progress.status).toBe('completed');
  expect(progress.failed).toBe(0);
  expect(progress.done + progress.reused).toBe(PROMPTS * 2);

  // Every expected record, exactly once (one file per prompt workflow ID; no temp leftovers).
  const records = readRecords(path.join(e.dir, 'out', sweepId, 'records'));
  expect(records.size).toBe(PROMPTS * 2);
  const seen = new Set<string>();
  for (const r of records.values()) {
    const key = `${r.method}/${r.promptId}`;
    expect(seen.has(key)).toBe(false);
    seen.add(key);
    expect(r.result.responses).toHaveLength(BUDGET);
  }
  for (const id of ids) for (const m of ['toa', 'random']) expect(seen.has(`${m}/${id}`)).toBe(true);

  const stats = await openai.control.stats();
  const rewardStats = await fakeRewardControl(reward.origin).stats();
  const expected = PROMPTS * 2 * BUDGET;
  const slots = DEFAULT_AGENTS.reduce((s, a) => s + a.maxConcurrency, 0);
  const repaid = stats.requests - expected;
  const result = {
    test: 'worker SIGKILL during a sweep',
    prompts: PROMPTS,
    methods: 2,
    budget: BUDGET,
    kills: kills.length,
    inFlightSlotsPerWorker: slots,
    expectedGenerations: expected,
    generationRequests: stats.requests,
    repaidGenerations: repaid,
    repaidPerKill: repaid / kills.length,
    bound: expected + kills.length * slots,
    faults: stats.faults,
    rewardRequests: rewardStats.requests,
    killsDetail: kills,
    wallSeconds: (Date.now() - t0) / 1000,
  };
  writeArtifact('e2e-worker-crash.json', result);
  console.log(`worker-crash: ${JSON.stringify(result)}`);
  expect(stats.requests).toBeGreaterThanOrEqual(expected);
  expect(stats.requests).toBeLessThanOrEqual(expected + kills.length * slots);
  await worker.kill9();
});
