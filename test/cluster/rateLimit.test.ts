/**
 * An agent's `requestsPerSecond` is a global limit (Temporal's task-queue rate limit, enforced by
 * the matching service), not a per-worker one: with two agent-only worker processes serving the
 * agent, the request arrival times at the fake endpoint (a test double) never exceed what a
 * token bucket of that rate allows. Workers are told apart by their API keys (each worker reads
 * its own TOA_FAKE_KEY; the fake logs the Authorization header). Measured numbers go to
 * test-artifacts/cluster-rate-limit.json.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readRecords, sweepIdFrom, waitClosed, writeArtifact, writeDataset, writeSweep } from '../e2e/helpers';
import { useCluster } from './helpers';

const LIMIT = 4;
const PROMPTS = 12;
const BUDGET = 4;
/**
 * How much a token bucket of rate LIMIT lets through beyond the rate. Matching splits a task
 * queue into 4 read partitions (matching.numTaskqueueReadPartitions, left at its default by
 * deploy/temporal/dynamicconfig/toa.yaml), each limited to LIMIT / 4 per second by a GCRA
 * limiter with a 1 s burst duration (service/matching/matcher_data.go, simpleLimiter): after an
 * idle spell a partition dispatches 1 + 1 s × LIMIT / 4 tasks at once. Measured here: the first
 * 8 requests within 0.3 s, then 4 per second.
 */
const PARTITIONS = 4;
const BURST = PARTITIONS * (1 + Math.ceil(LIMIT / PARTITIONS));
/**
 * Tolerance for the way from matching to the endpoint (poll response, worker scheduling, HTTP):
 * arrivals lag dispatch by a varying 0-0.4 s (most at the first tasks of a worker), which can
 * bunch them; 0.75 s = 3 requests at LIMIT 4. A per-worker instead of a global limit would exceed
 * the bucket by ~20 requests here (two workers at 4/s each finish the 48 requests in ~4 s).
 */
const JITTER_SECONDS = 0.75;

const s = useCluster('cluster-rate-limit', { defaultModel: { latencyMs: [10, 30] }, seed: 5 });

test(`requestsPerSecond: ${LIMIT} holds across two worker processes serving the agent`, async () => {
  const { e, openai } = s;
  writeDataset(e.dir, PROMPTS);
  const file = writeSweep(e.dir, {
    name: 'cluster-rate-limit',
    openaiUrl: openai.url,
    rewardUrl: s.reward.url,
    budgets: [BUDGET],
    agents: [{ name: 'alpha', model: 'model-a', maxConcurrency: 8, apiKeyEnv: 'TOA_FAKE_KEY' }],
    methods: '  - type: random\n    agent: alpha',
  });
  // writeSweep has no requestsPerSecond option: add it to the agent.
  const yaml = fs.readFileSync(file, 'utf8');
  expect(yaml).toMatch(/^ {4}maxConcurrency: 8$/m);
  fs.writeFileSync(file, yaml.replace(/^ {4}maxConcurrency: 8$/m, `    maxConcurrency: 8\n    requestsPerSecond: ${LIMIT}`));

  const start = await e.toaRun('sweep-start', ['sweep', 'start', file], { TOA_FAKE_KEY: 'cli' });
  expect(start.exitCode).toBe(0);
  const sweepId = sweepIdFrom(start.out);
  const workers = [
    e.toa('worker-main', ['worker', '--allow-path', e.dir]),
    e.toa('worker-agent-1', ['worker', '-c', file, '--no-main'], { TOA_FAKE_KEY: 'worker-1' }),
    e.toa('worker-agent-2', ['worker', '-c', file, '--no-main'], { TOA_FAKE_KEY: 'worker-2' }),
  ];
  for (const w of workers) await w.waitFor(/worker ready/, 60000);
  try {
    expect(await waitClosed(e.client, sweepId, 120000)).toBe('COMPLETED');
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${workers.map((w) => w.tail(15)).join('\n')}`);
  }
  expect(readRecords(path.join(e.dir, 'out', sweepId, 'records')).size).toBe(PROMPTS);

  const logged = (await openai.control.requests()).filter((r) => r.model === 'model-a');
  expect(logged).toHaveLength(PROMPTS * BUDGET);
  const perWorker = { 'worker-1': 0, 'worker-2': 0 } as Record<string, number>;
  for (const r of logged) perWorker[(r.authorization ?? '').replace('Bearer ', '')]++;
  // Both processes served the agent (else this would not test a limit across workers).
  expect(perWorker['worker-1']).toBeGreaterThan(0);
  expect(perWorker['worker-2']).toBeGreaterThan(0);
  expect(perWorker['worker-1'] + perWorker['worker-2']).toBe(logged.length);

  // Token bucket: any i..j of the sorted arrivals fits in rate × (t_j - t_i) + burst.
  const t = logged.map((r) => r.receivedAt).sort((a, b) => a - b);
  let worstExcess = -Infinity;
  let maxInOneSecond = 0;
  for (let i = 0; i < t.length; i++) {
    for (let j = i; j < t.length; j++) {
      const allowed = LIMIT * ((t[j] - t[i]) / 1000 + JITTER_SECONDS) + BURST;
      worstExcess = Math.max(worstExcess, j - i + 1 - allowed);
      if (t[j] - t[i] < 1000) maxInOneSecond = Math.max(maxInOneSecond, j - i + 1);
    }
  }
  const spanSeconds = (t[t.length - 1] - t[0]) / 1000;
  const result = {
    test: 'requestsPerSecond across two agent worker processes (cluster)',
    limit: LIMIT,
    requests: t.length,
    perWorker,
    spanSeconds,
    meanRate: (t.length - 1) / spanSeconds,
    maxInOneSecond,
    allowedBurst: BURST,
    worstExcessOverBucket: worstExcess,
    arrivalsMs: t.map((x) => x - t[0]),
  };
  writeArtifact('cluster-rate-limit.json', result);
  console.log(`cluster-rate-limit: ${JSON.stringify(result)}`);
  expect(worstExcess).toBeLessThanOrEqual(0);
});
