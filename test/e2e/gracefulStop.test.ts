/**
 * E2E: a graceful stop (SIGTERM, as `docker compose stop` sends) of a real `toa worker` process
 * while generations are in flight at a slow endpoint (2-3 s each). The worker stops taking work,
 * lets its in-flight plays finish within its grace period and exits by itself; a second worker
 * finishes the sweep. The fake endpoint (its own process) counts every generation request: each
 * generation must have been paid exactly once (a SIGKILL, by contrast, re-pays what was in
 * flight: workerCrash.test.ts).
 */
import * as path from 'node:path';
import {
  readRecords,
  sleep,
  sweepIdFrom,
  waitClosed,
  writeArtifact,
  writeDataset,
  writeSweep,
  useE2E,
  type E2E,
  type FakeProc,
} from './helpers';

jest.setTimeout(180_000);

const PROMPTS = 6;
const BUDGET = 3;

const setup = useE2E('graceful-stop', { defaultModel: { latencyMs: [2000, 3000] }, seed: 1 });
let e: E2E;
let openai: FakeProc;

beforeAll(() => {
  ({ e, openai } = setup);
});

test('SIGTERM while plays are in flight: they finish, the worker exits, nothing is paid twice', async () => {
  writeDataset(e.dir, PROMPTS);
  const file = writeSweep(e.dir, {
    name: 'graceful',
    openaiUrl: openai.url,
    rewardUrl: setup.reward.url,
    agents: [
      { name: 'alpha', model: 'model-a', maxConcurrency: 3, timeoutSeconds: 10 },
      { name: 'beta', model: 'model-b', maxConcurrency: 3, timeoutSeconds: 10 },
    ],
    methods: '  - type: toa\n    parallelPlays: 2',
    budgets: [BUDGET],
    maxRunningPrompts: PROMPTS,
  });
  const start = await e.toaRun('sweep-start', ['sweep', 'start', file]);
  expect(start.exitCode).toBe(0);
  const sweepId = sweepIdFrom(start.out);

  const first = e.toa('worker-0', ['worker', '-c', file]);
  await first.waitFor(/worker ready/, 60_000);
  const deadline = Date.now() + 60_000;
  let atStop = await openai.control.stats();
  while (atStop.inFlight < 2 && Date.now() < deadline) {
    await sleep(50);
    atStop = await openai.control.stats();
  }
  expect(atStop.inFlight).toBeGreaterThanOrEqual(2);
  const stoppedAt = Date.now();
  first.child.kill('SIGTERM');
  const exit = await first.wait(60_000);
  const stopMs = Date.now() - stoppedAt;
  // It exited by itself (no SIGKILL needed), after its in-flight requests were answered.
  expect(exit).toEqual({ code: 0, signal: null });
  const afterStop = await openai.control.stats();
  expect(afterStop.inFlight).toBe(0);

  const second = e.toa('worker-1', ['worker', '-c', file]);
  const status = await waitClosed(e.client, sweepId, 120_000);
  expect(status).toBe('COMPLETED');
  await second.child.kill('SIGTERM');

  const records = readRecords(path.join(e.dir, 'out', sweepId, 'records'));
  expect(records.size).toBe(PROMPTS);
  const generations = [...records.values()].reduce((n, r) => n + r.result.responses.length, 0);
  expect(generations).toBe(PROMPTS * BUDGET);
  const stats = await openai.control.stats();
  writeArtifact('e2e-graceful-stop.json', {
    inFlightAtSigterm: atStop.inFlight,
    requestsAtSigterm: atStop.requests,
    stopMs,
    generations,
    requests: stats.requests,
    aborted: stats.aborted,
  });
  // Exactly one request per generation: nothing in flight at the SIGTERM was cancelled and re-paid.
  expect(stats.aborted).toBe(0);
  expect(stats.requests).toBe(generations);
});
