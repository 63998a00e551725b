/**
 * A sweep on the cluster served by three worker processes — one main-queue-only `toa worker`
 * and two agent-only `toa worker --no-main` — through, in turn:
 *   1. SIGKILL of one agent worker (a replacement is started, as a supervisor would);
 *   2. SIGKILL of the Temporal server process, then a restart on the same ports and database;
 *   3. an immediate stop of PostgreSQL (no shutdown checkpoint: crash recovery on start), down 2 s.
 * The surviving workers are never restarted. Afterwards: the sweep completed, every record exists
 * exactly once, and the generations paid twice (counted by the fake endpoint, a test double)
 * stay within the requests that could have been in flight at the three events. The measured
 * numbers go to test-artifacts/cluster-chaos.json.
 */
import * as path from 'node:path';
import {
  DEFAULT_AGENTS,
  readRecords,
  sleep,
  sweepIdFrom,
  waitClosed,
  writeArtifact,
  writeDataset,
  writeSweep,
  type Proc,
} from '../e2e/helpers';
import { testCluster, useCluster, clusterInfo } from './helpers';

const PROMPTS = 40;
const BUDGET = 4;
const METHODS = ['toa', 'random'];
const EXPECTED = PROMPTS * METHODS.length * BUDGET;
/** Requests one agent worker process can have in flight: maxConcurrency summed over the agents. */
const SLOTS_PER_AGENT_WORKER = DEFAULT_AGENTS.reduce((n, a) => n + a.maxConcurrency, 0);

const s = useCluster('cluster-chaos', { defaultModel: { latencyMs: [150, 400] }, seed: 4 });

test('three workers; one SIGKILLed, the Temporal server SIGKILLed and restarted, PostgreSQL crashed and restarted: nothing lost, nothing duplicated', async () => {
  const { e, openai } = s;
  const cluster = testCluster();
  const t0 = Date.now();
  const { ids } = writeDataset(e.dir, PROMPTS);
  const file = writeSweep(e.dir, {
    name: 'cluster-chaos',
    openaiUrl: openai.url,
    rewardUrl: s.reward.url,
    budgets: [BUDGET],
    maxRunningPrompts: 12,
  });
  const start = await e.toaRun('sweep-start', ['sweep', 'start', file]);
  expect(start.exitCode).toBe(0);
  const sweepId = sweepIdFrom(start.out);

  const main = e.toa('worker-main', ['worker', '--allow-path', e.dir]);
  let agentsA = e.toa('worker-agents-a', ['worker', '-c', file, '--no-main']);
  const agentsB = e.toa('worker-agents-b', ['worker', '-c', file, '--no-main']);
  const workers = (): Proc[] => [main, agentsA, agentsB];
  await main.waitFor(/worker ready .*queues: toa;/m, 60000);
  for (const w of [agentsA, agentsB])
    await w.waitFor(/worker ready .*queues: toa\.agent\.alpha\.\w+, toa\.agent\.beta\.\w+;/m, 60000);

  const requests = async () => (await openai.control.stats()).requests;
  /** Waits until `n` more generation requests have arrived: the sweep is making progress. */
  const progressBy = async (n: number, timeoutMs = 90000) => {
    const target = (await requests()) + n;
    const deadline = Date.now() + timeoutMs;
    while ((await requests()) < target) {
      if (Date.now() > deadline)
        throw new Error(
          `no progress: ${await requests()} < ${target} requests\n${workers()
            .map((w) => w.tail(15))
            .join('\n')}`,
        );
      await sleep(100);
    }
  };
  const events: Array<{ event: string; atSeconds: number; requestsBefore: number; inFlight: number; outageSeconds: number }> = [];
  const disrupt = async (event: string, fn: () => Promise<void>) => {
    const st = await openai.control.stats();
    // An event after the last generation would test nothing.
    expect(st.requests).toBeLessThan(EXPECTED);
    const t = Date.now();
    await fn();
    events.push({
      event,
      atSeconds: (t - t0) / 1000,
      requestsBefore: st.requests,
      inFlight: st.inFlight,
      outageSeconds: (Date.now() - t) / 1000,
    });
  };

  try {
    await progressBy(30);
    await disrupt('SIGKILL agent worker a', async () => {
      await agentsA.kill9();
      agentsA = e.toa('worker-agents-a2', ['worker', '-c', file, '--no-main']);
    });

    await progressBy(40);
    const temporalPid = (await clusterInfo()).temporal.pid;
    await disrupt('SIGKILL Temporal server + restart', () => cluster.restartTemporal({ signal: 'SIGKILL' }));
    expect((await clusterInfo()).temporal.pid).not.toBe(temporalPid);

    await progressBy(40);
    const pgPid = (await clusterInfo()).postgres.pid;
    await disrupt('PostgreSQL immediate stop, 2 s down, start', () =>
      cluster.restartPostgres({ mode: 'immediate', downMs: 2000 }),
    );
    expect((await clusterInfo()).postgres.pid).not.toBe(pgPid);

    expect(await waitClosed(e.client, sweepId, 180000)).toBe('COMPLETED');
  } catch (err) {
    throw new Error(
      `${(err as Error).message}\n${workers()
        .map((w) => w.tail(20))
        .join('\n')}`,
    );
  }
  // The workers that were not killed lived through both server-side crashes.
  expect([main.running, agentsB.running]).toEqual([true, true]);

  const progress = await e.client.workflow.getHandle(sweepId).result();
  expect(progress).toMatchObject({ status: 'completed', failed: 0 });
  expect(progress.done + progress.reused).toBe(PROMPTS * METHODS.length);
  const records = readRecords(path.join(e.dir, 'out', sweepId, 'records'));
  expect(records.size).toBe(PROMPTS * METHODS.length);
  const keys = [...records.values()].map((r) => `${r.method}/${r.promptId}`).sort();
  expect(keys).toEqual(METHODS.flatMap((m) => ids.map((id) => `${m}/${id}`)).sort());
  for (const r of records.values()) expect(r.result.responses).toHaveLength(BUDGET);

  const stats = await openai.control.stats();
  const repaid = stats.requests - EXPECTED;
  // Kill: that worker's in-flight requests. Server or database outage: those of both agent workers.
  const bound = SLOTS_PER_AGENT_WORKER + 2 * (2 * SLOTS_PER_AGENT_WORKER);
  const result = {
    test: 'cluster: worker SIGKILL, Temporal server SIGKILL + restart, PostgreSQL immediate stop + restart',
    temporalVersion: s.info.temporalVersion,
    postgres: s.info.postgres.version,
    prompts: PROMPTS,
    methods: METHODS.length,
    budget: BUDGET,
    workers: '1 main-only + 2 agent-only (--no-main)',
    expectedGenerations: EXPECTED,
    generationRequests: stats.requests,
    repaidGenerations: repaid,
    repaidBound: bound,
    events,
    wallSeconds: (Date.now() - t0) / 1000,
  };
  writeArtifact('cluster-chaos.json', result);
  console.log(`cluster-chaos: ${JSON.stringify(result)}`);
  expect(stats.requests).toBeGreaterThanOrEqual(EXPECTED);
  expect(repaid).toBeLessThanOrEqual(bound);
});
