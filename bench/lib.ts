/**
 * Shared benchmark helpers: machine description, result files, child processes (fake servers,
 * worker), the embedded Temporal server on a temp SQLite file, /proc memory readings, and the
 * in-process "plain loop" driver that runs a strategy with the real activities (what
 * promptSearch does, minus Temporal).
 *
 * Benchmarks are compiled with `tsc -p tsconfig.bench.json` into dist-bench/ and run with node.
 */
import { recordHeaderOf } from '../src/common/records';
import { methodLabelOf } from '../src/search/methods';
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { startDevServer, type DevServerHandle } from '../src/server/embedded';
import { agentSchema, type AgentConfig, type MethodSpec, type RewardSpec } from '../src/config/schema';
import { MockActivityEnvironment } from '@temporalio/testing';
import { allowListFor, createAgentQueueActivities, createMainQueueActivities, type AllowList } from '../src/activities';
import { Gate } from '../src/activities/gate';
import { previewOf } from '../src/activities/texts';
import type { CallRecord } from '../src/common/compute';
import type { PromptSummary } from '../src/common/records';
import type { StoreSpec } from '../src/common/store';
import type { PlayOutput } from '../src/activities/types';
import { runSearch } from '../src/search/driver';
import { createStrategy } from '../src/search/methods';
import { promptSearchSeed } from '../src/search/prng';
import { openStore } from '../src/store';
import { agentTaskSlots } from '../src/worker/run';
import { controlClient } from '../src/testing/common';
import type { FakeOpenAIOptions, FakeOpenAIStats } from '../src/testing/fakeOpenAI';
import type { FakeRewardOptions } from '../src/testing/fakeReward';

/** Repository root (dist-bench/bench/lib.js → ../..; bench/lib.ts → ..). */
export const ROOT = (() => {
  let dir = __dirname;
  for (let i = 0; i < 5; i++) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    dir = path.dirname(dir);
  }
  return process.cwd();
})();
/** The compiled tree this file runs from (dist-bench/). */
export const DIST = path.resolve(__dirname, '..');
export const RESULTS_DIR = path.join(ROOT, 'bench', 'results');
export const TMP_ROOT = path.join(RESULTS_DIR, 'tmp');
export const QUICK = process.env.BENCH_QUICK === '1';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function log(msg: string): void {
  process.stderr.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
}

export function machine() {
  const cpus = os.cpus();
  return {
    nproc: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    ramGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    os: `${os.type()} ${os.release()}`,
    node: process.version,
  };
}

/** Other processes' CPU use while we ran, as load average (1 min) at start and end. */
export function loadNow(): number {
  return Math.round(os.loadavg()[0]! * 100) / 100;
}

export function writeResult(name: string, body: { parameters: unknown; results: unknown; notes?: string[] }, startedLoad: number): string {
  fs.mkdirSync(RESULTS_DIR, { recursive: true });
  const file = path.join(RESULTS_DIR, `${name}${QUICK ? '.quick' : ''}.json`);
  const out = {
    name,
    command: process.env.npm_lifecycle_event ? `npm run ${process.env.npm_lifecycle_event}` : `node ${path.relative(ROOT, process.argv[1] ?? '')}`,
    quick: QUICK,
    date: new Date().toISOString(),
    machine: machine(),
    load: { loadavg1AtStart: startedLoad, loadavg1AtEnd: loadNow() },
    ...body,
  };
  fs.writeFileSync(file, JSON.stringify(out, null, 2) + '\n');
  log(`wrote ${path.relative(ROOT, file)}`);
  return file;
}

export function tmpDir(prefix: string): string {
  fs.mkdirSync(TMP_ROOT, { recursive: true });
  return fs.mkdtempSync(path.join(TMP_ROOT, prefix));
}

export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const i = Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1));
  return s[i]!;
}
export const mean = (xs: number[]) => (xs.length === 0 ? NaN : xs.reduce((a, b) => a + b, 0) / xs.length);
export const stdev = (xs: number[]) => {
  if (xs.length < 2) return 0;
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
};
export const round = (x: number, d = 2) => (Number.isFinite(x) ? Math.round(x * 10 ** d) / 10 ** d : x);

/** VmHWM (peak RSS) and VmRSS of a process in MiB, from /proc (Linux). */
export function procMem(pid: number): { peakRssMiB: number; rssMiB: number } | null {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k: string) => Number(new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s)?.[1] ?? NaN);
    return { peakRssMiB: round(kb('VmHWM') / 1024, 1), rssMiB: round(kb('VmRSS') / 1024, 1) };
  } catch {
    return null;
  }
}

import { freePort } from '../src/testing/common';
export { freePort };

// ---------------------------------------------------------------------------------------------
// Child processes

const children = new Set<ChildProcess>();
function cleanupChildren(): void {
  for (const c of children) if (c.exitCode === null && c.pid) c.kill('SIGKILL');
}
process.on('exit', cleanupChildren);
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => (cleanupChildren(), process.exit(130)));

export interface Child {
  proc: ChildProcess;
  pid: number;
  /** Resolves with the first stdout line matching `re`. */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
  output(): string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export function spawnNode(script: string, args: string[], env: NodeJS.ProcessEnv = {}, nodeArgs: string[] = []): Child {
  const proc = spawn(process.execPath, [...nodeArgs, script, ...args], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  children.add(proc);
  let out = '';
  const waiters: Array<{ re: RegExp; resolve: (l: string) => void }> = [];
  const onData = (d: Buffer) => {
    out += d.toString();
    if (out.length > 200_000) out = out.slice(-100_000);
    for (const w of [...waiters]) {
      const m = out.split('\n').find((l) => w.re.test(l));
      if (m !== undefined) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(m);
      }
    }
  };
  proc.stdout!.on('data', onData);
  proc.stderr!.on('data', onData);
  const exited = new Promise<void>((r) => proc.once('exit', () => (children.delete(proc), r())));
  return {
    proc,
    pid: proc.pid!,
    output: () => out,
    waitFor(re, timeoutMs = 60_000) {
      const m = out.split('\n').find((l) => re.test(l));
      if (m !== undefined) return Promise.resolve(m);
      return new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error(`timed out waiting for ${re} from ${script}:\n${out.slice(-3000)}`)), timeoutMs);
        waiters.push({ re, resolve: (l) => (clearTimeout(t), resolve(l)) });
        proc.once('exit', (code) => (clearTimeout(t), reject(new Error(`${script} exited (${code}) before ${re}:\n${out.slice(-3000)}`))));
      });
    },
    async kill(signal = 'SIGTERM') {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
      await Promise.race([exited, sleep(10_000)]);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      await exited;
    },
  };
}

export interface FakeProc {
  url: string;
  pid: number;
  child: Child;
  stats(): Promise<FakeOpenAIStats>;
  reset(): Promise<void>;
  close(): Promise<void>;
}

/** A fake OpenAI or reward server in its own process (so it does not share the driver's event loop). */
export async function startFake(kind: 'openai' | 'reward', options: FakeOpenAIOptions | FakeRewardOptions): Promise<FakeProc> {
  const child = spawnNode(path.join(DIST, 'src', 'testing', 'cli.js'), [kind, '--options', JSON.stringify(options)]);
  const line = await child.waitFor(/"url"/);
  const { url } = JSON.parse(line) as { url: string };
  const ctl = controlClient<FakeOpenAIStats, unknown, unknown>(url);
  return { url, pid: child.pid, child, stats: ctl.stats, reset: ctl.reset, close: () => child.kill() };
}

// ---------------------------------------------------------------------------------------------
// Temporal

export interface BenchServer {
  server: DevServerHandle;
  address: string;
  client: Client;
  connection: Connection;
  native(): Promise<NativeConnection>;
  close(): Promise<void>;
}

/** The embedded server (Temporal CLI dev server, SQLite file, default pragmas) on a free port. */
export async function startServer(dir: string, opts: { inMemory?: boolean } = {}): Promise<BenchServer> {
  const port = await freePort();
  const server = await startDevServer({
    dbFile: opts.inMemory ? null : path.join(dir, 'temporal.sqlite'),
    port,
    uiPort: null,
    recordState: false,
    logFile: path.join(dir, 'temporal-server.log'),
    // Experiments with server settings: BENCH_DYNAMIC_CONFIG='{"key": value}' (on top of the defaults).
    ...(process.env.BENCH_DYNAMIC_CONFIG ? { dynamicConfig: JSON.parse(process.env.BENCH_DYNAMIC_CONFIG) as Record<string, unknown> } : {}),
  });
  const connection = await Connection.connect({ address: server.address });
  const client = new Client({ connection, namespace: server.namespace });
  let nat: NativeConnection | undefined;
  return {
    server,
    address: server.address,
    client,
    connection,
    async native() {
      nat ??= await NativeConnection.connect({ address: server.address });
      return nat;
    },
    async close() {
      await nat?.close().catch(() => undefined);
      await connection.close().catch(() => undefined);
      await server.stop({ graceMs: 5000 });
    },
  };
}

/** A worker process (bench/workerProc.ts) polling the main queue and every agent queue. */
export async function startWorkerProc(address: string, agents: AgentConfig[], extra: { allow: AllowList; mainActivitySlots?: number; nodeArgs?: string[] }): Promise<Child> {
  const child = spawnNode(
    path.join(DIST, 'bench', 'workerProc.js'),
    [JSON.stringify({ address, agents, allow: extra.allow, mainActivitySlots: extra.mainActivitySlots })],
    { TOA_LOG_LEVEL: 'ERROR' },
    extra.nodeArgs ?? [],
  );
  await child.waitFor(/^worker ready/m, 120_000);
  return child;
}

export function agent(baseURL: string, name: string, model: string, over: Partial<AgentConfig> = {}): AgentConfig {
  return agentSchema.parse({ name, model, baseURL, maxConcurrency: 8, timeoutSeconds: 60, ...over });
}

// ---------------------------------------------------------------------------------------------
// In-process driver: the same driver loop (runSearch), the same strategy and the same `play`
// activity function (memo writes included), no Temporal.

export interface InProcessInput {
  promptId: string;
  promptRef: string;
  referenceRef?: string;
  method: MethodSpec;
  budget: number;
  seed: number;
  agents: AgentConfig[];
  reward: RewardSpec;
  store: StoreSpec;
  /** Write the record like the workflow does (for `toa report`); else only return the summary facts. */
  recordsDir?: string;
  workflowId?: string;
  /** Read each response's 80-character preview back from the store (default true; overhead runs turn it off). */
  previews?: boolean;
}

export interface InProcessCall extends Omit<CallRecord, 'latencyMs'> {
  preview?: string;
}

export interface InProcessResult {
  calls: InProcessCall[];
  /** performance.now() at which each play started (order of start). */
  playStarts: number[];
  bestReward: number;
  summary?: PromptSummary;
}

/** The activities a worker process registers, as plain functions (bench arms call them directly). */
export function createActivities(deps: { env: NodeJS.ProcessEnv; allow: AllowList }) {
  return { ...createAgentQueueActivities({ allow: deps.allow, env: deps.env }), ...createMainQueueActivities({ allow: deps.allow }) };
}

/** What a benchmark's workers may do: call its agents and its reward double, use its temp folder. */
export function benchAllow(agents: AgentConfig[], rewardUrl: string, dir: string): AllowList {
  return allowListFor({ agents, reward: { type: 'http', url: rewardUrl, timeoutSeconds: 30 }, write: [dir], source: 'benchmark' });
}
export type InProcessActivities = ReturnType<typeof createActivities>;

/**
 * What promptSearch does, minus Temporal: runSearch over the strategy, each play a call of the
 * `play` activity function inside an activity context (MockActivityEnvironment gives it the
 * workflow ID, so its memos are written as in a worker), the record rebuilt from the trace and
 * the memos by the same activity. `slots` are the agent workers' activity slots.
 */
export async function runInProcess(input: InProcessInput, acts: InProcessActivities, slots: { byAgent: Map<string, Gate> }): Promise<InProcessResult> {
  const workflowId = input.workflowId ?? `bench/${methodLabelOf(input.method)}/b${input.budget}/s${input.seed}/${input.promptId}`;
  const searchSeed = promptSearchSeed(input.seed, input.promptId);
  const contextRef = await acts.putPlayContext({
    store: input.store,
    context: {
      agents: input.agents,
      reward: input.reward,
      templates: {},
      promptId: input.promptId,
      promptRef: input.promptRef,
      ...(input.referenceRef === undefined ? {} : { referenceRef: input.referenceRef }),
      seed: input.seed,
    },
  });
  const refs = new Map<string, string>();
  const calls: InProcessCall[] = [];
  const playStarts: number[] = [];
  const previews = new Map<string, string>();
  const store = openStore(input.store);
  const strategy = createStrategy(input.method, { agents: input.agents.map((a) => a.name), budget: input.budget, seed: searchSeed });
  const run = await runSearch(
    strategy,
    async (action) => {
      const out = await slots.byAgent.get(action.agent)!.run(() => {
        playStarts.push(performance.now());
        const activity = new MockActivityEnvironment({ workflowExecution: { workflowId, runId: 'in-process' }, activityType: 'play' });
        return activity.run(acts.play, { store: input.store, contextRef, action, inputRefs: action.inputs.map((id) => refs.get(id)!) }) as Promise<PlayOutput>;
      });
      refs.set(action.id, out.ref);
      if (input.previews !== false) previews.set(action.id, previewOf(await store.get(out.ref)));
      return { actionId: action.id, reward: out.reward, promptTokens: out.promptTokens, completionTokens: out.completionTokens };
    },
    {
      onOutcome(action, o) {
        if (o.failed) throw new Error(`bench: play ${action.id} failed: ${o.failed.message}`); // its plays throw instead
        calls.push({ actionId: action.id, agent: action.agent, ref: refs.get(action.id)!, promptTokens: o.promptTokens, completionTokens: o.completionTokens, reward: o.reward, preview: previews.get(action.id) });
      },
    },
  );
  let summary: PromptSummary | undefined;
  if (input.recordsDir) {
    ({ summary } = await acts.writePromptRecord({
      recordsDir: input.recordsDir,
      store: input.store,
      header: recordHeaderOf({ ...input, sweepId: 'bench', searchSeed }, workflowId),
      agents: input.agents,
      trace: run.trace,
      contextRef,
      rewards: calls.map((c) => c.reward),
    }));
  }
  return { calls, playStarts, bestReward: run.result.bestReward, summary };
}

/** The agent workers' activity slots, per agent (the play's own gate limits endpoint requests). */
export function inProcessSlots(agents: AgentConfig[]) {
  return { byAgent: new Map(agents.map((a) => [a.name, new Gate(agentTaskSlots(a.maxConcurrency))])) };
}

/** Runs `fn` over items with at most `n` at once. */
export async function pool<T, R>(items: T[], n: number, fn: (t: T, i: number) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(n, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!, i);
      }
    }),
  );
  return out;
}

/** CPU seconds (user + system) a process has used so far, from /proc/<pid>/stat. */
export function cpuSeconds(pid: number): number {
  try {
    const s = require('node:fs').readFileSync(`/proc/${pid}/stat`, 'utf8') as string;
    const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
    return (Number(f[11]) + Number(f[12])) / 100; // utime, stime in clock ticks (USER_HZ = 100)
  } catch {
    return NaN;
  }
}

/** CPU seconds used by each named process between two calls: where the time goes. */
export function cpuMeter(pids: Record<string, number>) {
  const start = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, cpuSeconds(p)]));
  const t0 = performance.now();
  return () => {
    const wall = (performance.now() - t0) / 1000;
    const out: Record<string, { cpuS: number; cores: number }> = {};
    for (const [k, p] of Object.entries(pids)) {
      const d = cpuSeconds(p) - start[k]!;
      out[k] = { cpuS: round(d, 2), cores: round(d / wall, 2) };
    }
    return out;
  };
}
