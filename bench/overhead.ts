/**
 * Orchestration overhead: the same strategies driven (a) in-process by a plain loop calling the
 * activity functions directly and (b) as promptSearch workflows through Temporal (embedded dev
 * server on SQLite, one worker process), against the same fake endpoint (own process) at a fixed
 * latency of 0, 50 and 500 ms. Measured in the same run:
 *
 *   throughput: P prompts × ensemble (K=2 agents, C slots each), all started at once → plays/s,
 *               endpoint slot utilisation (sampled in-flight / (K·C)) in the steady window;
 *   per play:   S prompts × TOA (parallelPlays 1, strictly sequential), no slot contention →
 *               cycle time of each play (issue of generate i → issue of generate i+1) minus the
 *               endpoint latency, p50 / p95.
 */
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { openStore } from '../src/store';
import { methodSchema, type MethodSpec, type RewardSpec, type AgentConfig } from '../src/config/schema';
import type { StoreSpec } from '../src/activities/types';
import { MAIN_TASK_QUEUE } from '../src/common/taskQueues';
import type { PromptSearchInput } from '../src/workflows/promptSearch';
import { FLOOR_TASK_QUEUE } from './floor/workflows';
import {
  QUICK, agent, benchAllow, cpuMeter, createActivities, inProcessSlots, loadNow, log, mean, percentile, procMem, round, runInProcess, sleep,
  startBenchCluster, startFake, startServer, startWorkerProc, tmpDir, writeResult, type CpuSource, type FakeProc,
} from './lib';

const LATENCIES = process.env.BENCH_LATENCIES ? process.env.BENCH_LATENCIES.split(',').map(Number) : QUICK ? [0, 500] : [0, 50, 500];
/** Profiling knobs: BENCH_DB=memory (no SQLite), BENCH_WORKER_PROF=<dir> (worker --cpu-prof), BENCH_NAME (result file). */
const IN_MEMORY = process.env.BENCH_DB === 'memory';
/** BENCH_TARGET=cluster: the same run on a fresh local production cluster (Temporal server on PostgreSQL, src/cluster). */
const TARGET: 'embedded' | 'cluster' = process.env.BENCH_TARGET === 'cluster' ? 'cluster' : 'embedded';
const WORKER_PROF = process.env.BENCH_WORKER_PROF;
const K_SLOTS = 16; // per agent
const THROUGHPUT_PROMPTS: Record<number, number> = QUICK ? { 0: 30, 50: 30, 500: 20 } : { 0: 100, 50: 100, 500: 60 };
const SEQ_PROMPTS = 8;
const BUDGET = 16;

/** The Temporal server under test: what the arms need of it, whichever kind it is. */
interface ServerUnderTest {
  address: string;
  client: Client;
  /** Processes whose CPU counts as the server's (PostgreSQL: its whole process tree). */
  cpu: Record<string, CpuSource>;
  serverPid: number;
  close(): Promise<void>;
}

async function embeddedServer(dir: string): Promise<ServerUnderTest> {
  const srv = await startServer(dir, { inMemory: IN_MEMORY });
  return { address: srv.address, client: srv.client, cpu: { server: srv.server.pid }, serverPid: srv.server.pid, close: () => srv.close() };
}

async function clusterServer(dir: string): Promise<ServerUnderTest> {
  const { info, close } = await startBenchCluster(dir);
  const connection = await Connection.connect({ address: info.address });
  return {
    address: info.address,
    client: new Client({ connection, namespace: info.namespace }),
    cpu: { server: info.temporal.pid!, postgres: { tree: info.postgres.pid! } },
    serverPid: info.temporal.pid!,
    async close() {
      await connection.close().catch(() => undefined);
      await close();
    },
  };
}

interface Env {
  srv: ServerUnderTest;
  openai: FakeProc;
  reward: FakeProc;
  agents: AgentConfig[];
  rewardSpec: RewardSpec;
  store: StoreSpec;
  recordsDir: string;
}

/** Samples the endpoint's in-flight count every 50 ms until stopped. */
function sampler(openai: FakeProc) {
  const samples: Array<{ t: number; inFlight: number }> = [];
  let on = true;
  const loop = (async () => {
    while (on) {
      const s = await openai.stats().catch(() => undefined);
      if (s) samples.push({ t: performance.now(), inFlight: s.inFlight });
      await sleep(50);
    }
  })();
  return {
    async stop(t0: number, t1: number, slots: number) {
      on = false;
      await loop;
      // Steady window: from 10% to 90% of the run (excludes ramp-up and drain).
      const a = t0 + 0.1 * (t1 - t0);
      const b = t0 + 0.9 * (t1 - t0);
      const win = samples.filter((s) => s.t >= a && s.t <= b).map((s) => s.inFlight);
      return { samples: win.length, meanInFlight: round(mean(win), 2), utilisation: round(mean(win) / slots, 3) };
    },
  };
}

let seq = 0;
async function inputs(env: Env, n: number, method: MethodSpec, tag: string): Promise<PromptSearchInput[]> {
  const store = openStore(env.store);
  const out: PromptSearchInput[] = [];
  for (let i = 0; i < n; i++) {
    const promptId = `${tag}-${seq++}`;
    out.push({
      promptId,
      promptRef: await store.put(`Benchmark question ${promptId}: explain why the sky is blue.`),
      method,
      budget: BUDGET,
      seed: 1,
      agents: env.agents,
      reward: env.rewardSpec,
      store: env.store,
      templates: {},
      recordsDir: env.recordsDir,
    });
  }
  return out;
}

async function viaTemporal(env: Env, ins: PromptSearchInput[]) {
  const t0 = performance.now();
  const handles = await Promise.all(
    ins.map((input) => env.srv.client.workflow.start('promptSearch', { workflowId: `ovh/${input.promptId}`, taskQueue: MAIN_TASK_QUEUE, args: [input] })),
  );
  await Promise.all(handles.map((h) => h.result()));
  const t1 = performance.now();
  return { t0, t1, handles };
}

async function inProcess(env: Env, ins: PromptSearchInput[]) {
  const acts = createActivities({ env: process.env, allow: benchAllow(env.agents, env.reward.url, path.dirname(env.recordsDir)) });
  const slots = inProcessSlots(env.agents);
  const t0 = performance.now();
  const results = await Promise.all(ins.map((i) => runInProcess({ ...i, recordsDir: env.recordsDir, workflowId: `ovh-a/${i.promptId}`, previews: false }, acts, slots)));
  const t1 = performance.now();
  return { t0, t1, results };
}

/** Play cycle times of a sequential search from its workflow history. */
async function cyclesFromHistory(env: Env, workflowId: string): Promise<number[]> {
  const h = await env.srv.client.workflow.getHandle(workflowId).fetchHistory();
  const t: number[] = [];
  for (const e of h.events ?? []) {
    const a = e.activityTaskScheduledEventAttributes;
    if (!a) continue;
    const name = a.activityType?.name;
    if (name === 'play' || name === 'generate' || name === 'writePromptRecord' || name === 'noop') {
      const ts = e.eventTime!;
      t.push(Number(ts.seconds ?? 0) * 1000 + (ts.nanos ?? 0) / 1e6);
    }
  }
  return t.slice(1).map((x, i) => x - t[i]!);
}

/**
 * Temporal's floor (./floor/workflows.ts), same server and worker process: `prompts` workflows of
 * BUDGET noop activities, `inFlight` at once. Throughput and CPU per activity, and the cycle of
 * sequential ones (inFlight 1) from their histories.
 */
async function floorArm(env: Env, pids: Parameters<typeof cpuMeter>[0], prompts: number, inFlight: number, tag: string) {
  const ids = Array.from({ length: prompts }, (_, i) => `floor/${tag}-${seq++}-${i}`);
  const cpu = cpuMeter(pids);
  const t0 = performance.now();
  const handles = await Promise.all(
    ids.map((workflowId) => env.srv.client.workflow.start('floorPrompt', { workflowId, taskQueue: FLOOR_TASK_QUEUE, args: [BUDGET, inFlight] })),
  );
  await Promise.all(handles.map((h) => h.result()));
  const wallS = (performance.now() - t0) / 1000;
  const cpuByProcess = cpu();
  const cycles = inFlight === 1 ? (await Promise.all(ids.map((id) => cyclesFromHistory(env, id)))).flat() : [];
  return { prompts, activities: prompts * BUDGET, inFlight, wallS: round(wallS, 2), activitiesPerS: round((prompts * BUDGET) / wallS, 1), cpuByProcess, cycles };
}

function cyclesInProcess(starts: number[], end: number): number[] {
  const t = [...starts, end];
  return t.slice(1).map((x, i) => x - t[i]!);
}


async function main() {
  const load0 = loadNow();
  const dir = tmpDir('overhead-');
  log(`overhead: temp ${dir}`);
  const srv = TARGET === 'cluster' ? await clusterServer(dir) : await embeddedServer(dir);
  const reward = await startFake('reward', {});
  const results: unknown[] = [];
  const notes: string[] = [];
  try {
    for (const L of LATENCIES) {
      const openai = await startFake('openai', { defaultModel: { quality: 0.5, noise: 0.2, latencyMs: L }, seed: 1 });
      const agents = [agent(openai.url, 'agent1', 'fake-a', { maxConcurrency: K_SLOTS }), agent(openai.url, 'agent2', 'fake-b', { maxConcurrency: K_SLOTS })];
      const env: Env = {
        srv, openai, reward, agents,
        rewardSpec: { type: 'http', url: reward.url, timeoutSeconds: 30 },
        store: { kind: 'fs', root: path.join(dir, 'store') },
        recordsDir: path.join(dir, 'records'),
      };
      const worker = await startWorkerProc(srv.address, agents, { allow: benchAllow(agents, reward.url, dir), floor: L === LATENCIES[0], ...(WORKER_PROF ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${WORKER_PROF}`] } : {}) });
      const slots = agents.length * K_SLOTS;
      const ensemble = methodSchema.parse({ type: 'ensemble' });
      const toaSeq = methodSchema.parse({ type: 'toa', tau: 1, alpha: 0.05 });
      const P = THROUGHPUT_PROMPTS[L]!;

      // Warm-up (JIT, connections, workflow cache) for both drivers; not measured.
      await viaTemporal(env, await inputs(env, 4, ensemble, `warm${L}`));
      await inProcess(env, await inputs(env, 4, ensemble, `warmA${L}`));

      const pids = { bench: process.pid, worker: worker.pid, ...srv.cpu, fakeOpenAI: openai.pid, fakeReward: reward.pid };
      // (a) throughput, in-process
      const aIns = await inputs(env, P, ensemble, `a-thr-${L}`);
      let smp = sampler(openai);
      let cpu = cpuMeter(pids);
      const a = await inProcess(env, aIns);
      const aCpu = cpu();
      const aUtil = await smp.stop(a.t0, a.t1, slots);
      // (b) throughput, Temporal
      const bIns = await inputs(env, P, ensemble, `b-thr-${L}`);
      smp = sampler(openai);
      cpu = cpuMeter(pids);
      const b = await viaTemporal(env, bIns);
      const bCpu = cpu();
      const bUtil = await smp.stop(b.t0, b.t1, slots);
      const plays = P * BUDGET;
      const aRate = plays / ((a.t1 - a.t0) / 1000);
      const bRate = plays / ((b.t1 - b.t0) / 1000);
      const ideal = L === 0 ? null : slots / (L / 1000);

      // Per-play cycle, sequential TOA, no contention (SEQ_PROMPTS ≤ slots per agent).
      const aSeq = await inProcess(env, await inputs(env, SEQ_PROMPTS, toaSeq, `a-seq-${L}`));
      const bSeqIns = await inputs(env, SEQ_PROMPTS, toaSeq, `b-seq-${L}`);
      await viaTemporal(env, bSeqIns);
      const bCycles = (await Promise.all(bSeqIns.map((i) => cyclesFromHistory(env, `ovh/${i.promptId}`)))).flat().map((c) => c - L);
      // In-process cycles end at the batch end for the last play: drop last plays to compare like with like.
      const aCyc = aSeq.results.flatMap((r) => cyclesInProcess(r.playStarts, NaN).slice(0, -1)).map((c) => c - L);

      // Temporal's floor, once per run (it does not depend on the endpoint): same server and worker.
      let floor: Record<string, unknown> | undefined;
      if (L === LATENCIES[0]) {
        await floorArm(env, pids, 4, BUDGET, 'warm');
        const thr = await floorArm(env, pids, P, BUDGET, 'thr');
        const sq = await floorArm(env, pids, SEQ_PROMPTS, 1, 'seq');
        const perActivity = (c: Record<string, { cpuS: number }>, n: number) => Object.fromEntries(Object.entries(c).map(([k, v]) => [k, round((1000 * v.cpuS) / n, 2)]));
        floor = {
          workload: `${P} workflows × ${BUDGET} noop activities (all in flight), then ${SEQ_PROMPTS} × ${BUDGET} sequential`,
          activitiesPerS: thr.activitiesPerS,
          cpuMsPerActivity: perActivity(thr.cpuByProcess, thr.activities),
          sequentialMs: { n: sq.cycles.length, p50: round(percentile(sq.cycles, 50), 1), p95: round(percentile(sq.cycles, 95), 1), mean: round(mean(sq.cycles), 1) },
        };
      }

      const row = {
        latencyMs: L,
        ...(floor ? { temporalFloor: floor } : {}),
        slots,
        throughput: {
          prompts: P, budget: BUDGET, method: 'ensemble (K=2)', plays,
          inProcess: { wallS: round((a.t1 - a.t0) / 1000, 2), playsPerS: round(aRate, 1), ...aUtil, cpuByProcess: aCpu },
          temporal: { wallS: round((b.t1 - b.t0) / 1000, 2), playsPerS: round(bRate, 1), ...bUtil, cpuByProcess: bCpu },
          ratioTemporalOverInProcessPlaysPerS: round(bRate / aRate, 3),
          idealPlaysPerS: ideal,
          temporalUtilisationByWork: ideal ? round(bRate / ideal, 3) : null,
          inProcessUtilisationByWork: ideal ? round(aRate / ideal, 3) : null,
        },
        perPlay: {
          prompts: SEQ_PROMPTS, budget: BUDGET, method: 'toa (parallelPlays 1, sequential)',
          inProcessMs: { n: aCyc.length, p50: round(percentile(aCyc, 50), 1), p95: round(percentile(aCyc, 95), 1), mean: round(mean(aCyc), 1) },
          temporalMs: { n: bCycles.length, p50: round(percentile(bCycles, 50), 1), p95: round(percentile(bCycles, 95), 1), mean: round(mean(bCycles), 1) },
        },
        workerPeakRss: procMem(worker.pid),
        serverPeakRss: procMem(srv.serverPid),
        endpointMaxInFlight: (await openai.stats()).maxInFlight,
      };
      row.perPlay = { ...row.perPlay, ...{ ratioP50: round(row.perPlay.temporalMs.p50 / Math.max(0.1, row.perPlay.inProcessMs.p50), 1) } };
      log(JSON.stringify(row));
      results.push(row);
      await worker.kill();
      await openai.close();
    }
  } finally {
    await reward.close();
    await srv.close();
  }
  notes.push('Throughput workload: P ensemble prompts (K=2 fake agents, 16 activity slots each) started at once; per-play workload: 8 sequential TOA prompts (no slot contention).');
  notes.push('Per-play time = interval between the issue of consecutive generate calls of one prompt (Temporal: ActivityTaskScheduled event times) minus the endpoint latency; the reward endpoint has 0 ms latency.');
  notes.push('Fake OpenAI and reward servers run in their own processes; the Temporal worker runs in its own process; the in-process loop runs in the bench process.');
  if (TARGET === 'cluster') notes.push('Target: a fresh local production cluster (src/cluster: Temporal server built from source on PostgreSQL 15, SQL visibility); "postgres" is the CPU of its whole process tree.');
  writeResult(process.env.BENCH_NAME ?? (TARGET === 'cluster' ? 'overhead-cluster' : 'overhead'), { parameters: { target: TARGET, inMemoryServer: IN_MEMORY, workerCpuProfile: !!WORKER_PROF, latenciesMs: LATENCIES, slotsPerAgent: K_SLOTS, agents: 2, budget: BUDGET, throughputPrompts: THROUGHPUT_PROMPTS, seqPrompts: SEQ_PROMPTS }, results, notes }, load0);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
