/**
 * Scale: sweeps of N prompt workflows (small budget) on one machine, each on a fresh embedded
 * server (SQLite) with one worker process: wall time, worker and server peak RSS (VmHWM), the
 * SQLite size; then history events and bytes per prompt workflow at budgets 16, 64, 160 with
 * ~2 KB responses (texts live in the response store; history carries references and
 * 80-character previews: the claim-check pattern, always on).
 *
 *   node dist-bench/bench/scale.js                  sizes 250, 500, 1000
 *   BENCH_SCALE_SIZES=10000 node dist-bench/bench/scale.js
 *
 * Memory profiling of the sweep's worker: BENCH_MEM_LOG=<file> (JS heap vs RSS every 2 s),
 * BENCH_HEAP_SNAPSHOTS=60,240 (snapshots at those seconds), BENCH_WORKER_NODE_ARGS="--expose-gc"
 * (every 5th sample after a full GC), BENCH_SCALE_HISTORY=0 (skip the history phase).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { datasetSchema, methodSchema, type AgentConfig } from '../src/config/schema';
import { openStore } from '../src/store';
import { MAIN_TASK_QUEUE } from '../src/common/taskQueues';
import type { SweepPlan } from '../src/workflows/sweepState';
import type { PromptSearchInput } from '../src/workflows/promptSearch';
import { QUICK, agent, benchAllow, cpuMeter, historyBreakdown, historyOf, loadNow, log, mean, procMem, round, sleep, startFake, startServer, startWorkerProc, tmpDir, writeResult } from './lib';

const SIZES = process.env.BENCH_SCALE_SIZES ? process.env.BENCH_SCALE_SIZES.split(",").map(Number) : QUICK ? [100] : [250, 500, 1000];
const HISTORY_BUDGETS = QUICK ? [16] : [16, 64, 160];
const SWEEP_BUDGET = 4;
const WINDOW = 64;
const SLOTS = 16;
const WORDS = 300; // ≈ 2 KB per response

function dirSize(p: string): number {
  let n = 0;
  for (const f of fs.readdirSync(p, { withFileTypes: true })) {
    const q = path.join(p, f.name);
    n += f.isDirectory() ? dirSize(q) : fs.statSync(q).size;
  }
  return n;
}

async function sweepRun(n: number) {
  const dir = tmpDir(`scale-${n}-`);
  const srv = await startServer(dir);
  const openai = await startFake('openai', { defaultModel: { quality: 0.5, noise: 0.2, words: WORDS }, seed: 1, keepRequests: 0 });
  const reward = await startFake('reward', { keepRequests: 0 } as never);
  const agents: AgentConfig[] = [agent(openai.url, 'agent1', 'fake-a', { maxConcurrency: SLOTS }), agent(openai.url, 'agent2', 'fake-b', { maxConcurrency: SLOTS })];
  const worker = await startWorkerProc(srv.address, agents, { allow: benchAllow(agents, reward.url, dir), nodeArgs: (process.env.BENCH_WORKER_NODE_ARGS ?? "").split(" ").filter(Boolean) });
  const file = path.join(dir, 'prompts.jsonl');
  fs.writeFileSync(file, Array.from({ length: n }, (_, i) => JSON.stringify({ id: `q${i}`, instruction: `Scale question ${i}: explain tides.` })).join('\n') + '\n');
  const plan: SweepPlan = {
    name: `scale-${n}`,
    dataset: datasetSchema.parse({ path: file }),
    agents,
    reward: { type: 'http', url: reward.url, timeoutSeconds: 30 },
    methods: [methodSchema.parse({ type: 'ensemble' })],
    budgets: [SWEEP_BUDGET],
    seeds: [0],
    store: { kind: 'fs', root: path.join(dir, 'store') },
    recordsDir: path.join(dir, 'records'),
    templates: {},
    maxRunningPrompts: WINDOW,
    pageSize: 100,
  };
  const sweepId = `scale-${n}`;
  const cpu = cpuMeter({ worker: worker.pid, server: srv.server.pid, fakeOpenAI: openai.pid, fakeReward: reward.pid, bench: process.pid });
  let peakWorker = 0;
  let peakServer = 0;
  let on = true;
  const watch = (async () => {
    while (on) {
      peakWorker = Math.max(peakWorker, procMem(worker.pid)?.peakRssMiB ?? 0);
      peakServer = Math.max(peakServer, procMem(srv.server.pid)?.peakRssMiB ?? 0);
      await sleep(1000);
    }
  })();
  const t0 = performance.now();
  const handle = await srv.client.workflow.start('sweep', { workflowId: sweepId, taskQueue: MAIN_TASK_QUEUE, args: [{ sweepId, plan }] });
  const progress = (await handle.result()) as { done: number; failed: number; compute: { generations: number } };
  const wallS = (performance.now() - t0) / 1000;
  on = false;
  await watch;
  const cpuUse = cpu();
  const wm = procMem(worker.pid);
  const sm = procMem(srv.server.pid);
  // The sweep's own history (last run, after continue-as-new) and a sample of prompt histories.
  const sweepHist = await historyOf(srv.client, sweepId);
  let runs = 0;
  for await (const _ of srv.client.workflow.list({ query: `WorkflowId = "${sweepId}"` })) runs++;
  const sample: Array<{ events: number; bytes: number }> = [];
  for (const i of [0, Math.floor(n / 2), n - 1]) sample.push(await historyOf(srv.client, `${sweepId}/ensemble/b${SWEEP_BUDGET}/s0/q${i}`).catch(() => ({ events: NaN, bytes: NaN })));
  const stats = await openai.stats();
  const row = {
    prompts: n,
    budget: SWEEP_BUDGET,
    method: 'ensemble (K=2)',
    window: WINDOW,
    done: progress.done,
    failed: progress.failed,
    generations: progress.compute.generations,
    endpointRequests: stats.requests,
    wallS: round(wallS, 1),
    promptsPerS: round(n / wallS, 2),
    playsPerS: round(progress.compute.generations / wallS, 1),
    workerPeakRssMiB: Math.max(peakWorker, wm?.peakRssMiB ?? 0),
    serverPeakRssMiB: Math.max(peakServer, sm?.peakRssMiB ?? 0),
    sqliteMiB: round(['temporal.sqlite', 'temporal.sqlite-wal'].map((f) => (fs.existsSync(path.join(dir, f)) ? fs.statSync(path.join(dir, f)).size : 0)).reduce((a, b) => a + b, 0) / 2 ** 20, 1),
    storeMiB: round(dirSize(plan.store.root) / 2 ** 20, 1),
    recordsMiB: round(dirSize(plan.recordsDir) / 2 ** 20, 1),
    sweepRuns: runs,
    sweepLastRunHistory: sweepHist,
    promptHistorySample: sample,
    cpuByProcess: cpuUse,
  };
  log(JSON.stringify(row));
  await worker.kill();
  await openai.close();
  await reward.close();
  await srv.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return row;
}

async function historyPerBudget() {
  const dir = tmpDir('scale-hist-');
  const srv = await startServer(dir);
  const openai = await startFake('openai', { defaultModel: { quality: 0.5, noise: 0.2, words: WORDS }, seed: 1 });
  const reward = await startFake('reward', {});
  const agents: AgentConfig[] = ['agent1', 'agent2', 'agent3'].map((n, i) => agent(openai.url, n, `fake-${i}`, { maxConcurrency: SLOTS }));
  const worker = await startWorkerProc(srv.address, agents, { allow: benchAllow(agents, reward.url, dir) });
  const store = { kind: 'fs' as const, root: path.join(dir, 'store') };
  const rows = [];
  let breakdown: unknown;
  for (const budget of HISTORY_BUDGETS) {
    for (const [label, spec] of [
      ['toa', methodSchema.parse({ type: 'toa', tau: 1, alpha: 0.05 })],
      ['moa', methodSchema.parse({ type: 'moa', layers: 3 })],
    ] as const) {
      const reps = 3;
      const hs = [];
      let responseBytes = 0;
      for (let r = 0; r < reps; r++) {
        const promptId = `h-${label}-${budget}-${r}`;
        const input: PromptSearchInput = {
          promptId,
          promptRef: await openStore(store).put(`History question ${promptId}: explain tides in detail.`),
          method: spec, budget, seed: r, agents,
          reward: { type: 'http', url: reward.url, timeoutSeconds: 30 },
          store, templates: {}, recordsDir: path.join(dir, 'records'),
        };
        const summary = (await srv.client.workflow.execute('promptSearch', { workflowId: promptId, taskQueue: MAIN_TASK_QUEUE, args: [input] })) as { bestRef: string };
        responseBytes = Buffer.byteLength(await openStore(store).get(summary.bestRef));
        hs.push(await historyOf(srv.client, promptId));
        if (label === 'toa' && budget === HISTORY_BUDGETS[0] && r === 0) breakdown = { workflow: `toa b${budget}`, ...(await historyBreakdown(srv.client, promptId)) };
      }
      const row = {
        method: label, budget,
        responseBytes,
        eventsPerPrompt: round(mean(hs.map((h) => h.events)), 0),
        historyKiBPerPrompt: round(mean(hs.map((h) => h.bytes)) / 1024, 1),
        bytesPerGeneration: round(mean(hs.map((h) => h.bytes)) / budget, 0),
        eventsPerGeneration: round(mean(hs.map((h) => h.events)) / budget, 2),
      };
      log(JSON.stringify(row));
      rows.push(row);
    }
  }
  await worker.kill();
  await openai.close();
  await reward.close();
  await srv.close();
  fs.rmSync(dir, { recursive: true, force: true });
  return { rows, breakdown };
}

async function main() {
  const load0 = loadNow();
  // BENCH_SCALE_HISTORY=0: sweeps only (e.g. when profiling the worker's memory)
  const history = process.env.BENCH_SCALE_HISTORY === '0' ? { rows: [], breakdown: {} } : await historyPerBudget();
  const sweeps = [];
  for (const n of SIZES) if (n > 0) sweeps.push(await sweepRun(n));
  const name = process.env.BENCH_SCALE_SIZES ? `scale-${SIZES.filter((n) => n > 0).join('-') || 'history'}` : 'scale';
  writeResult(
    name,
    {
      parameters: { sizes: SIZES, sweepBudget: SWEEP_BUDGET, sweepMethod: 'ensemble', agents: 2, slotsPerAgent: SLOTS, window: WINDOW, responseWords: WORDS, historyBudgets: HISTORY_BUDGETS },
      results: { historyPerPrompt: history.rows, historyBreakdown: history.breakdown, sweeps },
      notes: [
        'Each sweep size runs on a fresh embedded server (temporal CLI dev server, SQLite file, WAL + synchronous=NORMAL) and a fresh worker process; fake endpoint with 0 ms latency.',
        'Peak RSS is VmHWM from /proc, sampled every second and at the end.',
        'History bytes: temporal.api.history.v1.History encoded with protobuf, averaged over 3 prompt workflows; responses are ≈2 KB and live in the response store (claim-check), history carries refs and 80-char previews.',
      ],
    },
    load0,
  );
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
