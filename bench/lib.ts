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
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { NativeConnection } from '@temporalio/worker';
import { startDevServer, type DevServerHandle } from '../src/server/embedded';
import { LocalCluster, type UpResult } from '../src/cluster';
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

/**
 * A fresh local production cluster (src/cluster: Temporal server on PostgreSQL) under `dir`, torn
 * down by `close()` and also when the benchmark is interrupted: its processes run detached.
 */
export async function startBenchCluster(dir: string): Promise<{ cluster: LocalCluster; info: UpResult; close(): Promise<void> }> {
  fs.chmodSync(dir, 0o711); // the cluster's PostgreSQL runs as `postgres` and must enter it
  const cluster = new LocalCluster({ dir: path.join(dir, 'cluster'), log: (l) => log(`cluster: ${l}`) });
  // Exit handlers must be synchronous: stop it with the CLI.
  const downOnExit = () =>
    spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'cluster.js'), 'down', '--dir', cluster.dir, '--delete-data'], { stdio: 'inherit' });
  process.on('exit', downOnExit);
  const info = await cluster.up();
  log(`cluster up in ${info.seconds.toFixed(1)} s at ${info.address}`);
  return {
    cluster,
    info,
    async close() {
      await cluster.down({ deleteData: true });
      process.off('exit', downOnExit);
    },
  };
}

/** A worker process (bench/workerProc.ts) polling the main queue and every agent queue. */
export async function startWorkerProc(address: string, agents: AgentConfig[], extra: { allow: AllowList; mainActivitySlots?: number; nodeArgs?: string[]; floor?: boolean }): Promise<Child> {
  const child = spawnNode(
    path.join(DIST, 'bench', 'workerProc.js'),
    [JSON.stringify({ address, agents, allow: extra.allow, mainActivitySlots: extra.mainActivitySlots, floor: extra.floor })],
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
      // responses live in the prompt's scope of the store until its record is written
      if (input.previews !== false) previews.set(action.id, previewOf((await store.scope(workflowId).getText(out.ref)) ?? (await store.get(out.ref))));
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

/** A process, or a process with all its descendants (`{ tree: pid }`: PostgreSQL forks a backend per connection). */
export type CpuSource = number | { tree: number };

/** CPU seconds used by each named process (or process tree) between two calls: where the time goes. */
export function cpuMeter(pids: Record<string, CpuSource>) {
  const read = (p: CpuSource) => (typeof p === 'number' ? cpuSeconds(p) : treeCpuSeconds(p.tree));
  const start = Object.fromEntries(Object.entries(pids).map(([k, p]) => [k, read(p)]));
  const t0 = performance.now();
  return () => {
    const wall = (performance.now() - t0) / 1000;
    const out: Record<string, { cpuS: number; cores: number }> = {};
    for (const [k, p] of Object.entries(pids)) {
      const d = read(p) - start[k]!;
      out[k] = { cpuS: round(d, 2), cores: round(d / wall, 2) };
    }
    return out;
  };
}

// ---------------------------------------------------------------------------------------------
// Process trees, disk use, histories: what the scale benchmarks measure besides wall time.

/** Fields of /proc/<pid>/stat after the command name (index 0 = state), or null when gone. */
function procStat(pid: number): string[] | null {
  try {
    const s = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' ');
  } catch {
    return null;
  }
}

/** `root` and its live descendants (from the parent pid in /proc/<pid>/stat). */
export function processTree(root: number): number[] {
  const children = new Map<number, number[]>();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const ppid = Number(procStat(Number(name))?.[1]);
    if (Number.isFinite(ppid)) children.set(ppid, [...(children.get(ppid) ?? []), Number(name)]);
  }
  const out: number[] = [];
  const todo = [root];
  while (todo.length) {
    const p = todo.pop()!;
    if (!procStat(p)) continue;
    out.push(p);
    todo.push(...(children.get(p) ?? []));
  }
  return out;
}

/**
 * CPU seconds of a process tree: each live process's own time plus that of its children that
 * have exited and been waited for (cutime, cstime). A backend that ends during a run is thus
 * still counted, through its parent, and a live one is not counted twice.
 */
export function treeCpuSeconds(root: number): number {
  let ticks = 0;
  for (const pid of processTree(root)) {
    const f = procStat(pid);
    if (f) ticks += Number(f[11]) + Number(f[12]) + Number(f[13]) + Number(f[14]);
  }
  return ticks / 100; // USER_HZ = 100
}

/**
 * Memory of a process tree in MiB: the sum of PSS (proportional set size: shared pages such as
 * PostgreSQL's shared buffers divided among the processes that map them, so the sum is what the
 * tree really holds) and the largest single peak RSS (VmHWM).
 */
export function treeMem(root: number): { pssMiB: number; maxPeakRssMiB: number; processes: number } {
  let pssKiB = 0;
  let maxPeak = 0;
  const pids = processTree(root);
  for (const pid of pids) {
    try {
      pssKiB += Number(/^Pss:\s+(\d+)/m.exec(fs.readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
    } catch {
      // gone meanwhile
    }
    maxPeak = Math.max(maxPeak, procMem(pid)?.peakRssMiB ?? 0);
  }
  return { pssMiB: round(pssKiB / 1024, 1), maxPeakRssMiB: maxPeak, processes: pids.length };
}

/** Samples numbers every `everyMs` and keeps the largest of each (peak memory of processes that may exit). */
export function peakSampler(read: Record<string, () => number>, everyMs = 1000) {
  const peaks: Record<string, number> = Object.fromEntries(Object.keys(read).map((k) => [k, 0]));
  const sample = () => {
    for (const [k, f] of Object.entries(read)) {
      const v = f();
      if (Number.isFinite(v)) peaks[k] = Math.max(peaks[k]!, v);
    }
  };
  sample();
  const timer = setInterval(sample, everyMs);
  return {
    stop(): Record<string, number> {
      clearInterval(timer);
      sample();
      return { ...peaks };
    },
  };
}

export interface DiskUse {
  files: number;
  /** Sum of file sizes. */
  bytes: number;
  /** What the file system allocated (st_blocks × 512): small files take a whole block. */
  allocatedBytes: number;
  /** Further names of inodes already counted (hard links): no inode, no bytes of their own. */
  hardLinks?: number;
}

/**
 * Files and bytes under `root`, in total and by folder down to `depth` levels (e.g. depth 2:
 * `store/texts`, `store/memos`, `<sweep>/records`); files above that depth count under their
 * own folder (`.` for `root` itself). Layout-agnostic, so it measures any store layout. `files`
 * counts inodes (a hard link is counted once, as `hardLinks` where its other names are).
 */
export function diskUsage(root: string, depth = 1): { total: DiskUse; byFolder: Record<string, DiskUse> } {
  const total: DiskUse = { files: 0, bytes: 0, allocatedBytes: 0, hardLinks: 0 };
  const byFolder: Record<string, DiskUse> = {};
  // A hard link (a prompt's pack is one to its record) takes no inode and no block of its own:
  // count each inode once, where it is first met in name order, and the other names as links.
  const seen = new Set<string>();
  const walk = (dir: string, rel: string[]) => {
    let entries: fs.Dirent[];
    try {
      entries = fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    } catch {
      return;
    }
    for (const e of entries) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        walk(p, [...rel, e.name]);
        continue;
      }
      let st: fs.Stats;
      try {
        st = fs.lstatSync(p);
      } catch {
        continue;
      }
      const key = rel.slice(0, depth).join('/') || '.';
      const b = (byFolder[key] ??= { files: 0, bytes: 0, allocatedBytes: 0, hardLinks: 0 });
      const inode = `${st.dev}:${st.ino}`;
      if (seen.has(inode)) {
        b.hardLinks = (b.hardLinks ?? 0) + 1;
        total.hardLinks = (total.hardLinks ?? 0) + 1;
        continue;
      }
      seen.add(inode);
      for (const u of [b, total]) {
        u.files++;
        u.bytes += st.size;
        u.allocatedBytes += st.blocks * 512;
      }
    }
  };
  walk(root, []);
  return { total, byFolder };
}

type HistoryEvent = import('@temporalio/proto').temporal.api.history.v1.IHistoryEvent;

function eventTypeName(e: HistoryEvent): string {
  return (temporal.api.enums.v1.EventType[e.eventType ?? 0] ?? String(e.eventType)).replace('EVENT_TYPE_', '');
}

/** A workflow's history (the run given, else the latest) with its event count and protobuf-encoded size. */
export async function fetchHistorySized(client: Client, workflowId: string, runId?: string) {
  const h = await client.workflow.getHandle(workflowId, runId).fetchHistory();
  const bytes = temporal.api.history.v1.History.encode(h as temporal.api.history.v1.IHistory).finish().length;
  return { events: h.events?.length ?? 0, bytes, history: h };
}

/** Events and protobuf-encoded bytes of a workflow's history. */
export async function historyOf(client: Client, workflowId: string, runId?: string): Promise<{ events: number; bytes: number }> {
  const { events, bytes } = await fetchHistorySized(client, workflowId, runId);
  return { events, bytes };
}

/** Bytes of a history by event type, and of the activity inputs by activity type: where history goes. */
export async function historyBreakdown(client: Client, workflowId: string) {
  const h = await client.workflow.getHandle(workflowId).fetchHistory();
  const byEvent: Record<string, { n: number; bytes: number }> = {};
  const inputBytes: Record<string, { n: number; bytes: number }> = {};
  for (const e of h.events ?? []) {
    const t = eventTypeName(e);
    const b = temporal.api.history.v1.HistoryEvent.encode(e as temporal.api.history.v1.IHistoryEvent).finish().length;
    (byEvent[t] ??= { n: 0, bytes: 0 }).n++;
    byEvent[t]!.bytes += b;
    const a = e.activityTaskScheduledEventAttributes;
    if (a) {
      const k = a.activityType?.name ?? '?';
      (inputBytes[k] ??= { n: 0, bytes: 0 }).n++;
      inputBytes[k]!.bytes += (a.input?.payloads ?? []).reduce((n, p) => n + (p.data?.length ?? 0), 0);
    }
  }
  return { byEvent, activityInputBytes: inputBytes };
}

/**
 * Temporal Cloud billable Actions in one run's history, by kind, following Temporal's list
 * (docs.temporal.io/cloud/actions): a client start or continue-as-new 1 (a child's own start is
 * billed to its parent, 2 for initiating it); each activity attempt 1; the local activities and
 * markers of one workflow task 1 together; each search-attribute upsert 1 (except one that only
 * sets TemporalChangeVersion, which patching writes); each signal sent 1; each timer 1. Queries
 * and heartbeats are not in histories (toa's activities do not heartbeat; `toa sweep watch`
 * queries are left out).
 */
export function billableActions(events: HistoryEvent[]): Record<string, number> {
  const n: Record<string, number> = {};
  const add = (k: string, v = 1) => (n[k] = (n[k] ?? 0) + v);
  let markersInTask = false;
  for (const e of events) {
    switch (eventTypeName(e)) {
      case 'WORKFLOW_EXECUTION_STARTED':
        if (!e.workflowExecutionStartedEventAttributes?.parentWorkflowExecution) add('workflowStarted');
        break;
      case 'WORKFLOW_EXECUTION_CONTINUED_AS_NEW':
        add('continuedAsNew');
        break;
      case 'START_CHILD_WORKFLOW_EXECUTION_INITIATED':
        add('childWorkflowStarted', 2);
        break;
      case 'ACTIVITY_TASK_STARTED':
        add('activityAttempts', Math.max(1, e.activityTaskStartedEventAttributes?.attempt ?? 1));
        break;
      case 'MARKER_RECORDED':
        if (!markersInTask) add('workflowTasksWithMarkers');
        markersInTask = true;
        break;
      case 'WORKFLOW_TASK_COMPLETED':
        markersInTask = false;
        break;
      case 'UPSERT_WORKFLOW_SEARCH_ATTRIBUTES': {
        const keys = Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {});
        if (keys.some((k) => k !== 'TemporalChangeVersion')) add('searchAttributeUpserts');
        break;
      }
      case 'SIGNAL_EXTERNAL_WORKFLOW_EXECUTION_INITIATED':
        add('signalsSent');
        break;
      case 'TIMER_STARTED':
        add('timers');
        break;
    }
  }
  n.total = Object.values(n).reduce((a, b) => a + b, 0);
  return n;
}

/**
 * Run a node script to completion with bench/rusage.js preloaded: wall time, and from the process
 * itself at exit its peak RSS (getrusage ru_maxrss) and CPU time, exact even for short runs.
 */
export async function runMeasured(script: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const file = path.join(os.tmpdir(), `toa-bench-rusage-${process.pid}-${Date.now()}.json`);
  const t0 = performance.now();
  const proc = spawn(process.execPath, ['-r', path.join(DIST, 'bench', 'rusage.js'), script, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env, BENCH_RUSAGE_FILE: file },
  });
  children.add(proc);
  let output = '';
  proc.stdout!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
  proc.stderr!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
  const exitCode = await new Promise<number | null>((r) => proc.once('exit', (code) => (children.delete(proc), r(code))));
  const wallS = (performance.now() - t0) / 1000;
  let usage: { maxRssKiB: number; cpuS: number } | undefined;
  try {
    usage = JSON.parse(fs.readFileSync(file, 'utf8')) as { maxRssKiB: number; cpuS: number };
    fs.rmSync(file, { force: true });
  } catch {
    // the process died before its exit hook ran
  }
  return { exitCode, wallS: round(wallS, 2), peakRssMiB: usage ? round(usage.maxRssKiB / 1024, 1) : NaN, cpuS: usage ? round(usage.cpuS, 2) : NaN, output };
}

/** The rusage a process preloaded with bench/rusage.js wrote at exit (workers stopped with SIGTERM). */
export function readRusage(file: string): { maxRssKiB: number; cpuS: number } | null {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as { maxRssKiB: number; cpuS: number };
  } catch {
    return null;
  }
}
