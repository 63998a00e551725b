/**
 * E2E: endpoint faults against real processes.
 *  A. 429 storms with Retry-After, 500s, hangs past the agent timeout and a malformed JSON body:
 *     the transient ones are retried (visible as activity attempt > 1 in prompt histories) and the
 *     sweep completes; the malformed answer fails its prompt at once (non-retryable by design;
 *     `onPlayFailure: fail-prompt`, since the default `continue` would record it as a failed play
 *     and complete the prompt: test/workflow/playFailures.test.ts) and `toa sweep retry` finishes it.
 *  B. One agent's model always answers 500 (retry.maxAttempts 3): only its prompts fail, with
 *     the error in `toa sweep status --json`; after the endpoint is fixed, `toa sweep retry`
 *     finishes them and re-pays nothing for the other agent's finished prompts.
 */
import * as path from 'node:path';
import type { Client } from '@temporalio/client';
import {
  E2E,
  readRecords,
  sweepIdFrom,
  waitClosed,
  writeArtifact,
  writeDataset,
  writeSweep,
  type FakeProc,
  type Proc,
  subDir,
  useE2E,
} from './helpers';

jest.setTimeout(180_000);

let e: E2E;
let openai: FakeProc;
let reward: FakeProc;
let worker: Proc | undefined;

const setup = useE2E('faults', { defaultModel: { latencyMs: 10 }, seed: 3 });
beforeAll(() => {
  ({ e, openai, reward } = setup);
});

afterEach(async () => {
  if (worker) await worker.kill9();
  worker = undefined;
});

function sub(name: string): string {
  return subDir(e, name);
}

interface StatusJson {
  status: string;
  done: number;
  reused: number;
  failed: number;
  errorsByType: Record<string, number>;
  recentFailures: Array<{ workflowId: string; promptId: string; error: { type: string; message: string } }>;
}

async function statusJson(sweepId: string): Promise<StatusJson> {
  const p = await e.toaRun('status', ['sweep', 'status', sweepId, '--json']);
  if (p.exitCode !== 0) throw new Error(p.tail());
  return JSON.parse(p.out) as StatusJson;
}

/** Retried activity attempts found in the histories of the given workflows: attempt and last failure. */
async function retriedAttempts(client: Client, workflowIds: string[]) {
  const found: Array<{ workflowId: string; activity: string; attempt: number; lastFailure: string }> = [];
  for (const id of workflowIds) {
    const history = await client.workflow.getHandle(id).fetchHistory();
    const scheduled = new Map<string, string>();
    for (const ev of history.events ?? []) {
      const s = ev.activityTaskScheduledEventAttributes;
      if (s) scheduled.set(String(ev.eventId), s.activityType?.name ?? '?');
      const st = ev.activityTaskStartedEventAttributes;
      if (st && (st.attempt ?? 1) > 1) {
        const f = st.lastFailure;
        const type =
          f?.applicationFailureInfo?.type ?? (f?.timeoutFailureInfo ? `timeout:${f.timeoutFailureInfo.timeoutType}` : '?');
        found.push({
          workflowId: id,
          activity: scheduled.get(String(st.scheduledEventId)) ?? '?',
          attempt: st.attempt!,
          lastFailure: `${type}: ${f?.message ?? ''}`,
        });
      }
    }
  }
  return found;
}

test('429 storm with Retry-After, 500s, hangs past the timeout, malformed JSON: retried, visible in history, sweep completes', async () => {
  const t0 = Date.now();
  const dir = sub('transient');
  const prompts = 12;
  writeDataset(dir, prompts);
  // Temporal records only an activity's final attempt in history (with the failure of the attempt
  // before it), so each fault kind is kept to requests whose retries cannot meet another kind:
  // model-a only ever hangs; model-b gets the 429 storm first, then one malformed body, then a 500
  // on every 6th request (its 6th request falls inside the storm, so the first 500 is its 12th).
  await openai.control.setFaults([
    { kind: 'hang', model: 'model-a', next: 2 },
    { kind: 'rate-limit', model: 'model-b', next: 10, retryAfterSeconds: 1 },
    { kind: 'malformed-json', model: 'model-b', next: 1 },
    { kind: 'server-error', model: 'model-b', every: 6 },
  ]);
  await openai.control.reset();
  const file = writeSweep(dir, {
    name: 'faults',
    openaiUrl: openai.url,
    rewardUrl: reward.url,
    agents: [
      { name: 'alpha', model: 'model-a', maxConcurrency: 4, timeoutSeconds: 2 },
      { name: 'beta', model: 'model-b', maxConcurrency: 4, timeoutSeconds: 2 },
    ],
    budgets: [4],
    maxRunningPrompts: 8,
    onPlayFailure: 'fail-prompt',
  });
  worker = e.toa('faults-worker', ['worker', '-c', file]);
  await worker.waitFor(/worker ready/, 60000);
  const start = await e.toaRun('faults-start', ['sweep', 'start', file]);
  expect(start.exitCode).toBe(0);
  const sweepId = sweepIdFrom(start.out);
  expect(await waitClosed(e.client, sweepId, 120000)).toBe('COMPLETED');

  const stats = await openai.control.stats();
  expect(stats.faults['rate-limit']).toBe(10);
  expect(stats.faults.hang).toBe(2);
  expect(stats.faults['malformed-json']).toBe(1);
  expect(stats.faults['server-error']).toBeGreaterThan(0);

  // The malformed answer is non-retryable: exactly one prompt failed, at its first attempt, and says why.
  const st = await statusJson(sweepId);
  expect(st.status).toBe('completed_with_failures');
  expect(st.failed).toBe(1);
  expect(st.errorsByType).toEqual({ MalformedResponse: 1 });
  expect(st.recentFailures[0].error.message).toMatch(/malformed answer/);
  expect(st.recentFailures[0].error.message).toContain(openai.url);

  // Retries are visible in the prompt workflows' histories.
  const recordsDir = path.join(dir, 'out', sweepId, 'records');
  const ids = [...readRecords(recordsDir).values()].map((r) => r.workflowId);
  expect(ids).toHaveLength(prompts * 2 - 1);
  const retried = await retriedAttempts(e.client, ids);
  const kinds = retried.map((r) => r.lastFailure);
  expect(retried.length).toBeGreaterThan(0);
  expect(retried.every((r) => r.activity === 'play')).toBe(true);
  expect(kinds.some((k) => k.startsWith('RateLimited') && /429/.test(k))).toBe(true);
  expect(kinds.some((k) => k.startsWith('ServerError') && /500/.test(k))).toBe(true);
  expect(kinds.some((k) => /^Timeout|^timeout:/.test(k))).toBe(true);

  // Fixed: retry re-runs only the failed prompt, and re-pays none of the generations its failed
  // run had already bought (each completed play left its generation in a memo): no request of
  // the retry repeats one (same model, messages and seed) that was answered before.
  await openai.control.setFaults([]);
  const before = (await openai.control.stats()).requests;
  const retry = await e.toaRun('faults-retry', ['sweep', 'retry', sweepId]);
  expect(retry.exitCode).toBe(0);
  expect(await waitClosed(e.client, sweepId, 60000)).toBe('COMPLETED');
  const after = await statusJson(sweepId);
  expect(after).toMatchObject({ status: 'completed', failed: 0, done: 1, reused: prompts * 2 - 1 });
  const log = (await openai.control.requests()) as Array<{ index: number; model: string; messages: unknown; seed?: number; fault?: string }>;
  const keyOf = (r: (typeof log)[number]) => JSON.stringify([r.model, r.messages, r.seed]);
  const answered = new Set(log.filter((r) => r.index < before && !r.fault).map(keyOf));
  const retryRequests = log.filter((r) => r.index >= before);
  expect(retryRequests.length).toBe((await openai.control.stats()).requests - before);
  expect(retryRequests.length).toBeGreaterThanOrEqual(1); // at least the play that got the malformed body
  expect(retryRequests.length).toBeLessThanOrEqual(4);
  expect(retryRequests.filter((r) => answered.has(keyOf(r)))).toEqual([]);
  expect(readRecords(recordsDir).size).toBe(prompts * 2);

  const result = {
    test: 'endpoint faults (429 storm + Retry-After, 500 every 6th, 2 hangs past a 2 s timeout, 1 malformed body)',
    generationRequests: stats.requests,
    faults: stats.faults,
    retriedActivities: retried.length,
    maxAttempt: Math.max(...retried.map((r) => r.attempt)),
    sampleRetries: retried.slice(0, 5),
    wallSeconds: (Date.now() - t0) / 1000,
  };
  writeArtifact('e2e-endpoint-faults.json', result);
  console.log(`endpoint-faults: ${JSON.stringify(result)}`);
});

test('a permanently failing endpoint fails only its prompts; after the fix `toa sweep retry` finishes them and reuses the rest', async () => {
  const dir = sub('permanent');
  const prompts = 10;
  writeDataset(dir, prompts);
  await openai.control.setFaults([{ kind: 'server-error', model: 'model-bad' }]);
  await openai.control.reset();
  const file = writeSweep(dir, {
    name: 'permanent',
    openaiUrl: openai.url,
    rewardUrl: reward.url,
    agents: [
      { name: 'good', model: 'model-good', maxConcurrency: 4, timeoutSeconds: 5 },
      { name: 'bad', model: 'model-bad', maxConcurrency: 4, timeoutSeconds: 5 },
    ],
    methods: '  - type: random\n    label: rgood\n    agent: good\n  - type: random\n    label: rbad\n    agent: bad',
    budgets: [3],
    maxRunningPrompts: 10,
    retry: { maxAttempts: 3, initialIntervalSeconds: 0.2, maxIntervalSeconds: 1 },
  });
  worker = e.toa('perm-worker', ['worker', '-c', file]);
  await worker.waitFor(/worker ready/, 60000);
  const start = await e.toaRun('perm-start', ['sweep', 'start', file]);
  const sweepId = sweepIdFrom(start.out);
  expect(await waitClosed(e.client, sweepId, 120000)).toBe('COMPLETED');

  const st = await statusJson(sweepId);
  expect(st.status).toBe('completed_with_failures');
  expect(st.done).toBe(prompts);
  expect(st.failed).toBe(prompts);
  expect(st.errorsByType).toEqual({ ServerError: prompts });
  expect(st.recentFailures).toHaveLength(prompts);
  for (const f of st.recentFailures) {
    expect(f.workflowId).toContain('/rbad/');
    expect(f.error.message).toContain(openai.url);
    expect(f.error.message).toMatch(/500/);
  }
  const s1 = await openai.control.stats();
  const goodBefore = s1.byModel['model-good'].requests;
  expect(goodBefore).toBe(prompts * 3);
  // maxAttempts 3: each failed prompt paid for at most its in-flight plays × 3 attempts.
  expect(s1.byModel['model-bad'].requests).toBeLessThanOrEqual(prompts * 3 * 3);

  await openai.control.setFaults([]);
  const retry = await e.toaRun('perm-retry', ['sweep', 'retry', sweepId]);
  expect(retry.exitCode).toBe(0);
  expect(retry.out).toMatch(/finished prompts are reused/);
  expect(await waitClosed(e.client, sweepId, 120000)).toBe('COMPLETED');
  const after = await statusJson(sweepId);
  expect(after).toMatchObject({ status: 'completed', failed: 0, done: prompts, reused: prompts, errorsByType: {} });
  const s2 = await openai.control.stats();
  expect(s2.byModel['model-good'].requests).toBe(goodBefore); // nothing finished was re-paid
  expect(readRecords(path.join(dir, 'out', sweepId, 'records')).size).toBe(prompts * 2);
});
