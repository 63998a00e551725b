/**
 * The sweep's bookkeeping (src/workflows/sweepState.ts): pure functions over plain data, carried
 * across continue-as-new. Exact numbers on small hand-made states.
 */
import { emptyCompute, type ComputeTotals } from '../../../src/common/compute';
import type { PromptSummary } from '../../../src/common/records';
import {
  allJobKeyParts,
  initialState,
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

test('failures are counted by type; the kept list is capped; progress shows the last 20', () => {
  const s = initialState();
  for (let i = 0; i < 2005; i++) recordFailure(s, job(`p${i}`), { type: i % 2 ? 'Timeout' : 'BadRequest', message: `m${i}` });
  expect(s.failedTotal).toBe(2005);
  expect(s.errorsByType).toEqual({ BadRequest: 1003, Timeout: 1002 });
  expect(s.failed).toHaveLength(2000);
  const p = progressOf('s', plan, s, false);
  expect(p.failed).toBe(2005);
  expect(p.recentFailures).toHaveLength(20);
  expect(p.recentFailures[19]).toMatchObject({ promptId: 'p1999', error: { type: 'Timeout', message: 'm1999' } });
});

test('dataset problems: all counted, the first 100 kept', () => {
  const s = initialState();
  recordProblems(s, Array.from({ length: 150 }, (_, i) => ({ line: i + 1, message: 'bad JSON' })));
  expect(s.datasetProblemCount).toBe(150);
  expect(s.datasetProblems).toHaveLength(100);
  expect(s.datasetProblems[0]).toEqual({ line: 1, message: 'bad JSON' });
});

test('requeueFailed: failed jobs go back to the queue, their counts are forgotten, their old runs retired', () => {
  const s = initialState();
  recordFailure(s, job('p1', 'run-a'), { type: 'Timeout', message: 't' });
  recordFailure(s, job('p2'), { type: 'BadRequest', message: 'b' });
  expect(requeueFailed(s)).toBe(2);
  expect(s.failed).toEqual([]);
  expect(s.failedTotal).toBe(0);
  expect(s.errorsByType).toEqual({ Timeout: 0, BadRequest: 0 });
  expect(s.queue.map((j) => j.promptId)).toEqual(['p1', 'p2']);
  expect(s.queue.every((j) => !('error' in j) && !('runId' in j))).toBe(true);
  expect(s.retiredRuns).toEqual({ [job('p1').workflowId]: 'run-a' });
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
