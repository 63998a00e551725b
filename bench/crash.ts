/**
 * Crash cost: a sweep runs on the embedded server with one worker process that is SIGKILLed N
 * times at seeded random moments (each time once it is paying for generations) and restarted.
 * Generations re-paid = endpoint requests − the generations the finished records account for.
 * Also: in-flight requests at each kill, and the sweep's wall time against a crash-free run of
 * the same sweep.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { datasetSchema, methodSchema, type AgentConfig } from '../src/config/schema';
import { MAIN_TASK_QUEUE } from '../src/common/taskQueues';
import type { SweepPlan } from '../src/workflows/sweepState';
import { QUICK, agent, benchAllow, loadNow, log, mean, round, sleep, startFake, startServer, startWorkerProc, tmpDir, writeResult } from './lib';

const PROMPTS = QUICK ? 12 : 40;
const BUDGET = 8;
const KILLS = QUICK ? 2 : 5;
const SLOTS = 8;

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (s * 1664525 + 1013904223) >>> 0) / 2 ** 32);
}

async function one(kills: number) {
  const dir = tmpDir(`crash-${kills}-`);
  const srv = await startServer(dir);
  const openai = await startFake('openai', { defaultModel: { quality: 0.5, noise: 0.2, latencyMs: [20, 120] }, seed: 1, keepRequests: 0 });
  const reward = await startFake('reward', {});
  const agents: AgentConfig[] = [agent(openai.url, 'agent1', 'fake-a', { maxConcurrency: SLOTS }), agent(openai.url, 'agent2', 'fake-b', { maxConcurrency: SLOTS })];
  const file = path.join(dir, 'prompts.jsonl');
  fs.writeFileSync(file, Array.from({ length: PROMPTS }, (_, i) => JSON.stringify({ id: `q${i}`, instruction: `Crash question ${i}?` })).join('\n') + '\n');
  const plan: SweepPlan = {
    name: 'crash',
    dataset: datasetSchema.parse({ path: file }),
    agents,
    reward: { type: 'http', url: reward.url, timeoutSeconds: 30 },
    methods: [methodSchema.parse({ type: 'toa', tau: 1, alpha: 0.05 }), methodSchema.parse({ type: 'ensemble' })],
    budgets: [BUDGET],
    seeds: [0],
    store: { kind: 'fs', root: path.join(dir, 'store') },
    recordsDir: path.join(dir, 'records'),
    templates: {},
    maxRunningPrompts: 12,
  };
  const random = rng(20240611 + kills);
  let worker = await startWorkerProc(srv.address, agents, { allow: benchAllow(agents, reward.url, dir) });
  const t0 = performance.now();
  const handle = await srv.client.workflow.start('sweep', { workflowId: 'crash', taskQueue: MAIN_TASK_QUEUE, args: [{ sweepId: 'crash', plan }] });
  const killLog: Array<{ atS: number; requestsBefore: number; inFlightAtKill: number; downS: number }> = [];
  for (let k = 0; k < kills; k++) {
    const before = (await openai.stats()).requests;
    while ((await openai.stats()).requests === before) await sleep(50);
    await sleep(300 + Math.floor(random() * 2500));
    const s = await openai.stats();
    const tk = performance.now();
    await worker.kill('SIGKILL');
    worker = await startWorkerProc(srv.address, agents, { allow: benchAllow(agents, reward.url, dir) });
    killLog.push({ atS: round((tk - t0) / 1000, 1), requestsBefore: s.requests, inFlightAtKill: s.inFlight, downS: round((performance.now() - tk) / 1000, 1) });
    log(`kill ${k + 1}: ${JSON.stringify(killLog[k])}`);
  }
  const progress = (await handle.result()) as { done: number; failed: number; reused: number; compute: { generations: number } };
  const wallS = (performance.now() - t0) / 1000;
  const stats = await openai.stats();
  await worker.kill();
  await openai.close();
  await reward.close();
  await srv.close();
  fs.rmSync(dir, { recursive: true, force: true });
  const expected = PROMPTS * plan.methods.length * BUDGET;
  return {
    kills,
    done: progress.done,
    failed: progress.failed,
    expectedGenerations: expected,
    recordedGenerations: progress.compute.generations,
    endpointRequests: stats.requests,
    endpointAborted: stats.aborted,
    repaid: stats.requests - expected,
    repaidPerKill: kills ? round((stats.requests - expected) / kills, 2) : 0,
    meanInFlightAtKill: kills ? round(mean(killLog.map((k) => k.inFlightAtKill)), 2) : 0,
    wallS: round(wallS, 1),
    killLog,
  };
}

async function main() {
  const load0 = loadNow();
  const baseline = await one(0);
  log(JSON.stringify(baseline));
  const crashed = await one(KILLS);
  log(JSON.stringify(crashed));
  writeResult(
    'crash',
    {
      parameters: { prompts: PROMPTS, methods: ['toa', 'ensemble'], budget: BUDGET, kills: KILLS, slotsPerAgent: SLOTS, agents: 2, endpointLatencyMs: [20, 120], maxRunningPrompts: 12 },
      results: {
        baseline,
        crashed,
        extraWallSPerKill: round((crashed.wallS - baseline.wallS) / KILLS, 1),
      },
      notes: [
        'Re-paid generations = endpoint requests − prompts × methods × budget (every record exactly once; records are never re-run).',
        'A killed worker\'s in-flight generations are retried by Temporal after the heartbeat timeout (30 s for generate) or, for workflow tasks, the sticky-queue timeout: that, not re-paid compute, is most of the time cost of a crash.',
      ],
    },
    load0,
  );
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
