/**
 * E2E: the Temporal dev server SIGKILLed mid-sweep and restarted on the same SQLite file and
 * port (the worker process is NOT restarted: it reconnects by itself), and the client process
 * (`toa sweep start --watch`) SIGKILLed, then `toa sweep watch` re-attached, also while no
 * worker was running.
 */
import * as path from 'node:path';
import {
  E2E,
  readRecords,
  sleep,
  sweepIdFrom,
  waitClosed,
  writeArtifact,
  writeDataset,
  writeSweep,
  type FakeProc,
  subDir,
  useE2E,
} from './helpers';

jest.setTimeout(180_000);

let e: E2E;
let openai: FakeProc;
let reward: FakeProc;

const setup = useE2E('server-client', { defaultModel: { latencyMs: [30, 80] }, seed: 2 });
beforeAll(() => {
  ({ e, openai, reward } = setup);
});

function sub(name: string): string {
  return subDir(e, name);
}

test('dev server SIGKILLed mid-sweep and restarted on the same SQLite file: the worker reconnects, nothing lost', async () => {
  const t0 = Date.now();
  const dir = sub('server-restart');
  const prompts = 30;
  writeDataset(dir, prompts);
  const file = writeSweep(dir, {
    name: 'srvkill',
    openaiUrl: openai.url,
    rewardUrl: reward.url,
    budgets: [4],
    maxRunningPrompts: 8,
  });
  const start = await e.toaRun('srv-sweep-start', ['sweep', 'start', file]);
  expect(start.exitCode).toBe(0);
  const sweepId = sweepIdFrom(start.out);
  const worker = e.toa('srv-worker', ['worker', '-c', file]);
  await worker.waitFor(/worker ready/, 60000);

  // Wait until the sweep is well under way, then kill the server.
  const base = (await openai.control.stats()).requests;
  while ((await openai.control.stats()).requests < base + 40) await sleep(100);
  const port = e.port;
  const before = (await openai.control.stats()).requests;
  await e.killServer();
  const killedAt = Date.now();
  await sleep(3000);
  await e.startServer(port);
  const downMs = Date.now() - killedAt;

  try {
    const status = await waitClosed(e.client, sweepId, 120000);
    expect(status).toBe('COMPLETED');
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${worker.tail()}`);
  }
  // The same worker process did the rest: it was never restarted.
  expect(worker.running).toBe(true);
  const after = (await openai.control.stats()).requests;
  expect(after).toBeGreaterThan(before);

  const progress = await e.client.workflow.getHandle(sweepId).result();
  expect(progress.status).toBe('completed');
  expect(progress.done + progress.reused).toBe(prompts * 2);
  const records = readRecords(path.join(dir, 'out', sweepId, 'records'));
  expect(records.size).toBe(prompts * 2);
  const keys = new Set([...records.values()].map((r) => `${r.method}/${r.promptId}`));
  expect(keys.size).toBe(prompts * 2);
  for (const r of records.values()) expect(r.result.responses).toHaveLength(4);

  const expected = prompts * 2 * 4;
  const total = (await openai.control.stats()).requests - base;
  const result = {
    test: 'dev server SIGKILL + restart on the same SQLite file',
    prompts,
    expectedGenerations: expected,
    generationRequests: total,
    repaidGenerations: total - expected,
    serverDownMs: downMs,
    workerRestarted: false,
    wallSeconds: (Date.now() - t0) / 1000,
  };
  writeArtifact('e2e-server-restart.json', result);
  console.log(`server-restart: ${JSON.stringify(result)}`);
  await worker.kill9();
});

test('client SIGKILLed while watching: the sweep goes on; `toa sweep watch` re-attaches (also while no worker runs); status --json parses', async () => {
  const dir = sub('client-crash');
  const prompts = 20;
  writeDataset(dir, prompts);
  const file = writeSweep(dir, {
    name: 'clientkill',
    openaiUrl: openai.url,
    rewardUrl: reward.url,
    budgets: [4],
    maxRunningPrompts: 4,
  });
  const worker = e.toa('cli-worker', ['worker', '-c', file]);
  await worker.waitFor(/worker ready/, 60000);

  const watcher = e.toa('cli-start-watch', ['sweep', 'start', file, '--watch']);
  const m = await watcher.waitFor(/^sweep (\S+) started/m, 60000);
  const sweepId = m[1];
  // At least one progress line (non-TTY: one timestamped line per change), then kill -9.
  await watcher.waitFor(/^\d{4}-\d\d-\d\dT\S+ running \|/m, 30000);
  await watcher.kill9();
  const d = await e.client.workflow.getHandle(sweepId).describe();
  expect(d.status.name).toBe('RUNNING');

  const status = await e.toaRun('cli-status', ['sweep', 'status', sweepId, '--json']);
  expect(status.exitCode).toBe(0);
  const parsed = JSON.parse(status.out) as { sweepId: string; status: string; jobsPerPrompt: number; done: number };
  expect(parsed.sweepId).toBe(sweepId);
  expect(parsed.status).toBe('running');
  expect(parsed.done).toBeLessThan(prompts * 2);
  expect(parsed.jobsPerPrompt).toBe(2);

  // Now the worker dies too. Status says so plainly (after the server's query timeout, ~30 s);
  // a watcher started meanwhile waits instead of exiting, and finishes once a worker is back.
  await worker.kill9();
  const noWorkerStatus = e.toa('cli-status-noworker', ['sweep', 'status', sweepId, '--json']);
  const watch = e.toa('cli-watch', ['sweep', 'watch', sweepId]);
  await noWorkerStatus.wait(90000);
  expect(noWorkerStatus.exitCode).toBe(1);
  expect(noWorkerStatus.err.trim()).toMatch(
    new RegExp(`^toa: sweep "${sweepId}" is running but no worker answered its progress query .*toa worker -c`),
  );
  await watch.waitFor(/^\S+ waiting: sweep .* no worker answered its progress query/m, 60000);
  expect(watch.running).toBe(true);
  const worker2 = e.toa('cli-worker-2', ['worker', '-c', file]);

  const { code } = await watch.wait(120000);
  expect(code).toBe(0);
  const lines = watch.out.split('\n').filter((l) => /^\d{4}-\d\d-\d\dT\S+ (running|completed) \|/.test(l));
  expect(lines.length).toBeGreaterThanOrEqual(1);
  expect(lines[lines.length - 1]).toMatch(/ completed \| 40 done \(0 reused\) \| 0 running \| 0 failed/);
  // No terminal control codes in non-TTY output.
  expect(watch.out).not.toContain('\u001b[');

  const final = await e.toaRun('cli-status-final', ['sweep', 'status', sweepId, '--json']);
  const fin = JSON.parse(final.out) as { status: string; done: number; failed: number };
  expect(fin).toMatchObject({ status: 'completed', done: prompts * 2, failed: 0 });
  expect(readRecords(path.join(dir, 'out', sweepId, 'records')).size).toBe(prompts * 2);
  await worker2.kill9();
});
