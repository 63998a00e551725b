/**
 * The sweep's bookkeeping (src/workflows/sweepState.ts): pure functions over plain data, carried
 * across continue-as-new. Exact numbers on small hand-made states; the failures file through
 * its real activities on a temp folder.
 */
import { emptyCompute, type ComputeTotals } from '../../../src/common/compute';
import type { PromptSummary } from '../../../src/common/records';
import * as path from 'node:path';
import { appendFileSync, readFileSync, statSync } from 'node:fs';
import { appendFailures, readFailures } from '../../../src/activities/failuresFile';
import {
  allJobKeyParts,
  failuresToWrite,
  failuresWritten,
  forgetRetired,
  initialState,
  LIMITS,
  pagePrompts,
  recordReused,
  requeueFromFile,
  restoreState,
  retryPending,
  type SweepState,
  jobKey,
  progressOf,
  promptWorkflowId,
  recordFailure,
  recordProblems,
  recordSuccess,
  requeueFailed,
  type Job,
  type SweepPlan,
} from '../../../src/workflows/sweepState';
import { tmpDir } from '../../support';
import { describeProgress } from '../../../src/client/watch';

const plan = {
  name: 'unit',
  methods: [{ type: 'toa', alpha: 0.01, tau: 0.1, width: 'third', parallelPlays: 1 }, { type: 'random', agent: 'a', label: 'rand' }],
  budgets: [4, 8],
  seeds: [0, 1],
} as unknown as SweepPlan;

const compute = (generations: number, byAgent = 'a'): ComputeTotals => ({
  ...emptyCompute(),
  generations,
  promptTokens: 10 * generations,
  completionTokens: 20 * generations,
  byAgent: { [byAgent]: { generations, promptTokens: 10 * generations, completionTokens: 20 * generations, flops: 0, costUsd: 0 } },
});

const summary = (method: string, budget: number, bestReward: number): PromptSummary => ({
  workflowId: `s/${method}/b${budget}/s0/p`,
  promptId: 'p',
  method,
  budget,
  seed: 0,
  bestReward,
  bestAgent: 'a',
  bestRef: 'ref',
  generations: budget,
  compute: compute(budget),
  recordPath: '/r.json',
});

const job = (promptId: string, runId?: string): Job => ({
  methodIndex: 0,
  budget: 4,
  seed: 0,
  workflowId: promptWorkflowId('s', jobKey(plan, { methodIndex: 0, budget: 4, seed: 0 }), promptId),
  promptId,
  promptRef: 'ref',
  ...(runId ? { runId } : {}),
});

test('job keys and workflow IDs: every (method label, budget, seed), in plan order', () => {
  const parts = allJobKeyParts(plan);
  expect(parts).toHaveLength(2 * 2 * 2);
  expect(parts.map((p) => jobKey(plan, p))).toEqual([
    'toa/b4/s0', 'toa/b4/s1', 'toa/b8/s0', 'toa/b8/s1', 'rand/b4/s0', 'rand/b4/s1', 'rand/b8/s0', 'rand/b8/s1',
  ]);
  expect(promptWorkflowId('sweep-1', 'toa/b4/s0', 'p9')).toBe('sweep-1/toa/b4/s0/p9');
});

test('successes: done vs reused, compute summed per agent, cells per (method, budget)', () => {
  const s = initialState();
  recordSuccess(s, summary('toa', 4, 0.5), false);
  recordSuccess(s, summary('toa', 4, 0.25), true);
  recordSuccess(s, summary('rand', 8, 0.75), false);
  expect([s.done, s.reused]).toEqual([2, 1]);
  expect(s.compute.generations).toBe(16);
  expect(s.compute.byAgent.a).toMatchObject({ generations: 16, promptTokens: 160, completionTokens: 320 });
  expect(s.cells['toa|4']).toEqual({ method: 'toa', budget: 4, done: 2, sumBest: 0.75, maxBest: 0.5 });
  expect(s.cells['rand|8']).toEqual({ method: 'rand', budget: 8, done: 1, sumBest: 0.75, maxBest: 0.75 });
});

test('failures are counted by type; progress shows the last 20; messages are clipped', () => {
  const s = initialState();
  for (let i = 0; i < 25; i++) recordFailure(s, job(`p${i}`), { type: i % 2 ? 'Timeout' : 'BadRequest', message: `m${i}` });
  recordFailure(s, job('long'), { type: 'ServerError', message: 'x'.repeat(5000) });
  expect(s.failedTotal).toBe(26);
  expect(s.errorsByType).toEqual({ BadRequest: 13, Timeout: 12, ServerError: 1 });
  const p = progressOf('s', plan, s, false);
  expect(p.failed).toBe(26);
  expect(p.recentFailures).toHaveLength(20);
  expect(p.recentFailures[18]).toMatchObject({ promptId: 'p24', error: { type: 'BadRequest', message: 'm24' } });
  expect(p.recentFailures[19]!.error.message.length).toBe(LIMITS.messageChars);
});

test('dataset problems: all counted, the first 100 kept', () => {
  const s = initialState();
  recordProblems(s, Array.from({ length: 150 }, (_, i) => ({ line: i + 1, message: 'bad JSON' })));
  expect(s.datasetProblemCount).toBe(150);
  expect(s.datasetProblems).toHaveLength(100);
  expect(s.datasetProblems[0]).toEqual({ line: 1, message: 'bad JSON' });
});

test('requeueFailed: failed jobs go back to the queue, every failure count restarts, their old runs retired', () => {
  const s = initialState();
  recordFailure(s, job('p1', 'run-a'), { type: 'Timeout', message: 't' });
  recordFailure(s, job('p2'), { type: 'BadRequest', message: 'b' });
  expect(requeueFailed(s)).toBe(2);
  expect(s.failed).toEqual([]);
  expect(s.failedTotal).toBe(0);
  expect(s.errorsByType).toEqual({});
  expect(s.recentFailures).toEqual([]);
  expect(s.queue.map((j) => j.promptId)).toEqual(['p1', 'p2']);
  expect(s.queue.every((j) => !('error' in j) && !('runId' in j))).toBe(true);
  expect(s.retiredRuns).toEqual({ [job('p1').workflowId]: 'run-a' });
  forgetRetired(s, job('p1').workflowId);
  expect(s.retiredRuns).toEqual({});
});

/**
 * The loop of sweep.ts, reduced to its bookkeeping, with the real failures-file activities on a
 * temp folder: failures go to the file in batches, the state stays small, and a retry re-queues
 * every failure (the previous release kept 2,000 in its state and never retried the rest).
 */
test('thousands of failures: the state stays small, the file gets every one, a retry re-queues them all', async () => {
  const tmp = tmpDir('toa-failures-');
  try {
    const spec = { recordsDir: path.join(tmp.dir, 'records'), failuresFile: path.join(tmp.dir, 'failures.jsonl') };
    const s = initialState();
    let largestState = 0;
    const flush = async (all: boolean) => {
      for (let lines = failuresToWrite(s, all); lines.length > 0; lines = failuresToWrite(s, all)) {
        const { bytes } = await appendFailures({ ...spec, offset: s.failuresFile.bytes, lines });
        failuresWritten(s, lines.length, bytes);
      }
    };
    for (let i = 0; i < 2500; i++) {
      recordFailure(s, job(`p${i}`, `run-${i}`), { type: 'ServerError', message: `HTTP 500 from the endpoint for prompt ${i}: ${'detail '.repeat(60)}` });
      await flush(false);
      largestState = Math.max(largestState, JSON.stringify(s).length);
    }
    await flush(true);
    expect(s.failedTotal).toBe(2500);
    expect(s.failed).toHaveLength(0);
    expect(s.failuresFile.lines).toBe(2500);
    expect(readFileSync(spec.failuresFile, 'utf8').trim().split('\n')).toHaveLength(2500);
    // The continue-as-new input never carried more than a few failures.
    expect(largestState).toBeLessThan(32 * 1024);

    // Two more failures stay in memory; then a retry: memory at once, the file slice by slice.
    recordFailure(s, job('late1'), { type: 'Timeout', message: 't' });
    recordFailure(s, job('late2'), { type: 'Timeout', message: 't' });
    expect(requeueFailed(s)).toBe(2);
    expect(retryPending(s)).toBe(true);
    let reads = 0;
    while (retryPending(s)) {
      const page = await readFailures({ ...spec, from: s.failuresFile.retryFrom, to: s.failuresFile.retryTo, maxLines: LIMITS.failuresPerActivity });
      expect(page.lines.length).toBeLessThanOrEqual(LIMITS.failuresPerActivity);
      requeueFromFile(s, page.lines, page.next);
      reads++;
    }
    expect(reads).toBe(Math.ceil(2500 / LIMITS.failuresPerActivity));
    expect(s.queue).toHaveLength(2502);
    expect(new Set(s.queue.map((j) => j.promptId)).size).toBe(2502);
    expect(s.queue.every((j) => !('error' in j) && !('runId' in j))).toBe(true);
    expect(Object.keys(s.retiredRuns)).toHaveLength(2500);
    expect([s.failedTotal, s.errorsByType]).toEqual([0, {}]);

    // A second round of failures is appended after the first; a second retry reads only it.
    for (let i = 0; i < 30; i++) recordFailure(s, job(`again${i}`), { type: 'ServerError', message: 'm' });
    await flush(true);
    s.queue = [];
    requeueFailed(s);
    while (retryPending(s)) {
      const page = await readFailures({ ...spec, from: s.failuresFile.retryFrom, to: s.failuresFile.retryTo, maxLines: LIMITS.failuresPerActivity });
      requeueFromFile(s, page.lines, page.next);
    }
    expect(s.queue.map((j) => j.promptId)).toEqual(Array.from({ length: 30 }, (_, i) => `again${i}`));
  } finally {
    tmp.cleanup();
  }
});

test('appending is idempotent by offset: a retried attempt adds nothing, a torn line is cut, offset 0 starts afresh', async () => {
  const tmp = tmpDir('toa-failures-');
  try {
    const spec = { recordsDir: path.join(tmp.dir, 'records') };
    const file = path.join(tmp.dir, 'failures.jsonl'); // the default: beside the records folder
    const line = (id: string) => ({ ...job(id), error: { type: 'Timeout', message: 't' } });
    const a = await appendFailures({ ...spec, offset: 0, lines: [line('a1'), line('a2')] });
    const again = await appendFailures({ ...spec, offset: 0, lines: [line('a1'), line('a2')] });
    expect(again.bytes).toBe(a.bytes);
    appendFileSync(file, '{"workflowId": "torn'); // a worker killed mid-append
    const b = await appendFailures({ ...spec, offset: a.bytes, lines: [line('b1')] });
    expect(readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l).promptId)).toEqual(['a1', 'a2', 'b1']);
    expect(b.bytes).toBe(statSync(file).size);
    await appendFailures({ ...spec, offset: 0, lines: [line('c1')] });
    expect(readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l).promptId)).toEqual(['c1']);
  } finally {
    tmp.cleanup();
  }
});

test('circuit breaker: N failures of one type in a row give the reason; a success or another type restarts the count', () => {
  const s = initialState();
  const fail = (type: string) => recordFailure(s, job('p'), { type, message: `${type} from http://x/v1` }, 3);
  expect(fail('ServerError')).toBeNull();
  expect(fail('ServerError')).toBeNull();
  recordSuccess(s, summary('toa', 4, 0.5), false);
  expect(fail('ServerError')).toBeNull();
  expect(fail('Timeout')).toBeNull();
  expect(fail('ServerError')).toBeNull();
  expect(fail('ServerError')).toBeNull();
  recordSuccess(s, summary('toa', 4, 0.5), true); // reused from disk: not an outcome of this run
  const reason = fail('ServerError');
  expect(reason).toMatch(/^paused by the circuit breaker: 3 prompts in a row failed with ServerError \(last: ServerError from http:\/\/x\/v1\)/);
  expect(reason).toContain('toa sweep resume');
  expect(recordFailure(s, job('p'), { type: 'ServerError', message: 'm' }, 0)).toBeNull(); // 0: off
  s.paused = true;
  s.pauseReason = reason;
  expect(progressOf('s', plan, s, false)).toMatchObject({ status: 'paused', pauseReason: reason });
});

test('page totals of reused jobs add up like one summary each', () => {
  const one = initialState();
  recordSuccess(one, summary('toa', 4, 0.5), true);
  recordSuccess(one, summary('toa', 4, 0.25), true);
  const totals = initialState();
  const c = compute(4);
  recordReused(totals, {
    count: 2,
    compute: { ...c, generations: 8, promptTokens: 80, completionTokens: 160, byAgent: { a: { ...c.byAgent.a!, generations: 8, promptTokens: 80, completionTokens: 160 } } },
    cells: [{ method: 'toa', budget: 4, count: 2, sumBest: 0.75, maxBest: 0.5 }],
  });
  expect(totals).toEqual(one);
});

test('a state carried by the previous release (no file, up to 2,000 failures) is completed, not lost', () => {
  const old = initialState() as Partial<SweepState>;
  delete old.recentFailures;
  delete old.failuresFile;
  delete old.failureStreak;
  delete old.pauseReason;
  delete old.retryRequested;
  old.failed = Array.from({ length: 30 }, (_, i) => ({ ...job(`p${i}`), error: { type: 'Timeout', message: 't' } }));
  old.failedTotal = 30;
  const s = restoreState(old);
  expect(s.failed).toHaveLength(30);
  expect(s.recentFailures.map((f) => f.promptId)).toEqual(Array.from({ length: 20 }, (_, i) => `p${i + 10}`));
  expect(s.failuresFile).toEqual({ bytes: 0, lines: 0, retryFrom: 0, retryTo: 0 });
  // Written out in batches at the next steps of the loop.
  expect(failuresToWrite(s, false)).toHaveLength(30);
});

test('a dataset page queues at most 64 jobs', () => {
  expect(pagePrompts(plan)).toBe(8); // 8 jobs per prompt
  expect(pagePrompts({ ...plan, pageSize: 4 })).toBe(4);
  expect(pagePrompts({ ...plan, methods: [plan.methods[0]!], budgets: [1], seeds: [0] })).toBe(64);
  expect(pagePrompts({ ...plan, seeds: Array.from({ length: 100 }, (_, i) => i) })).toBe(1);
});

test('status: running, paused, cancelled, completed, completed with failures', () => {
  const s = initialState();
  expect(progressOf('s', plan, s, false).status).toBe('running');
  s.paused = true;
  expect(progressOf('s', plan, s, false).status).toBe('paused');
  expect(progressOf('s', plan, s, true).status).toBe('completed');
  recordFailure(s, job('p1'), { type: 'Timeout', message: 't' });
  expect(progressOf('s', plan, s, true).status).toBe('completed_with_failures');
  s.cancelled = true;
  expect(progressOf('s', plan, s, true).status).toBe('cancelled');
  expect(progressOf('s', plan, s, false)).toMatchObject({ sweepId: 's', name: 'unit', jobsPerPrompt: 8, datasetDone: false });
});

test('failed plays of completed prompts: summed in total and by type, shown by status and watch; a state and summaries of the previous release count none', () => {
  const withFailures = (failedPlaysByType: Record<string, number>): PromptSummary => ({
    ...summary('toa', 4, 0.5),
    failedPlays: Object.values(failedPlaysByType).reduce((a, b) => a + b, 0),
    failedPlaysByType,
  });
  const old = initialState() as Partial<SweepState>;
  delete old.failedPlays;
  delete old.failedPlaysByType;
  const s = restoreState(old);
  recordSuccess(s, withFailures({ BadRequest: 2 }), false);
  recordSuccess(s, withFailures({ BadRequest: 1, MalformedResponse: 1 }), false);
  recordSuccess(s, summary('toa', 4, 0.5), false); // a summary of the previous release: no count
  recordSuccess(s, withFailures({ JudgeUnparseable: 5 }), true); // reused: its failures are in its record
  const p = progressOf('s', plan, s, true);
  expect([p.status, p.done, p.failed, p.failedPlays, p.failedPlaysByType]).toEqual(['completed', 3, 0, 4, { BadRequest: 3, MalformedResponse: 1 }]);
  expect(describeProgress(p)).toMatch(/ \| 4 failed plays in completed prompts: BadRequest×3, MalformedResponse×1$/);
  // None: the line is as before.
  expect(describeProgress(progressOf('s', plan, initialState(), true))).not.toMatch(/failed plays/);
  // A progress from a sweep of the previous release has no counts at all.
  const { failedPlays, failedPlaysByType, ...older } = p;
  void failedPlays;
  void failedPlaysByType;
  expect(describeProgress(older)).not.toMatch(/failed plays/);
});
