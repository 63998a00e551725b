/**
 * Scale on a production-like cluster (issue 12): one sweep of N prompt workflows (ensemble of 2
 * agents, budget 4, ≈ 2 KB responses from a 0 ms fake endpoint) run through the project's own
 * commands — `toa sweep start`, two `toa worker` processes with the heap cap docker-compose uses
 * (NODE_OPTIONS=--max-old-space-size=1024) — on
 *   cluster:  a fresh local cluster (src/cluster: Temporal server built from source on PostgreSQL,
 *             SQL visibility) in a temp folder, torn down after;
 *   embedded: a fresh embedded server (Temporal CLI dev server, SQLite file), stopped after.
 * It records wall time and plays/s; CPU seconds per play of each worker, the Temporal server and
 * PostgreSQL (all its processes); peak memory of each; files and bytes on disk per prompt (output
 * folder by sub-folder, the database); history events, bytes and Temporal Cloud billable Actions
 * per prompt (sampled histories; on the cluster also the server's own `action` metric); then
 * `toa export` and `toa report` over all the records: wall time, CPU and peak RSS. After the
 * measured sweep, the same workers run a few prompts at the paper's budget (TOA, 160) to measure
 * what one paper-scale prompt writes to history and costs in Actions.
 *
 *   npm run bench:scale:cluster                                  100,000 prompts, both targets
 *   BENCH_SCALE_SIZES=500,2000 node dist-bench/bench/scaleCluster.js
 *   BENCH_SCALE_TARGETS=cluster BENCH_SCALE_SIZES=500 node dist-bench/bench/scaleCluster.js
 *
 * Knobs: BENCH_SCALE_WORKERS (2), BENCH_SCALE_WINDOW (64 running prompts), BENCH_SCALE_BUDGET (4),
 * BENCH_SCALE_EXPORT_FORMATS (sft,dpo,responses), BENCH_SCALE_PAPER_PROBE (3 prompts; 0 = skip),
 * BENCH_SCALE_TIMELINE_S (300: the interval of the per-interval plays/s and CPU per play),
 * BENCH_SCALE_WORKER_NODE_OPTIONS (default --max-old-space-size=1024) with BENCH_SCALE_RESULT_SUFFIX
 * (e.g. -heap512), BENCH_SCALE_KEEP=1 (keep the temp folder).
 * Writes bench/results/scale-cluster-<N><suffix>.json per size, or scale-<target>-only-<N><suffix>.json
 * when one target is run (runs below 100,000 prompts are marked as validation runs).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { jobKey, promptWorkflowId } from '../src/common/workflowIds';
import { methodSchema } from '../src/config/schema';
import { iterateRecords } from '../src/store';
import type { PromptRecord } from '../src/common/records';
import type { SweepProgress } from '../src/workflows/sweepState';
import { sweepProgress } from '../src/client/sweepCommands';
import { timelineIntervals, timelineSampler } from './timeline';
import {
  ROOT,
  billableActions,
  cpuMeter,
  diskUsage,
  fetchHistorySized,
  loadNow,
  log,
  mean,
  peakSampler,
  procMem,
  readRusage,
  round,
  runMeasured,
  sleep,
  spawnNode,
  startFake,
  startBenchCluster,
  startServer,
  tmpDir,
  treeMem,
  writeResult,
  type Child,
  type CpuSource,
  type DiskUse,
} from './lib';

const FULL_SIZE = 100_000;
const SIZES = (process.env.BENCH_SCALE_SIZES ?? String(FULL_SIZE))
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const TARGETS = (process.env.BENCH_SCALE_TARGETS ?? 'cluster,embedded').split(',').map((t) => t.trim()) as Target[];
const WORKERS = Number(process.env.BENCH_SCALE_WORKERS ?? 2);
const WINDOW = Number(process.env.BENCH_SCALE_WINDOW ?? 64);
const BUDGET = Number(process.env.BENCH_SCALE_BUDGET ?? 4);
const SLOTS = 16;
const WORDS = 300; // ≈ 2 KB per response
// docker-compose.yml's worker default; BENCH_SCALE_WORKER_NODE_OPTIONS to try another heap cap
const WORKER_NODE_OPTIONS = process.env.BENCH_SCALE_WORKER_NODE_OPTIONS ?? '--max-old-space-size=1024';
const RESULT_SUFFIX = process.env.BENCH_SCALE_RESULT_SUFFIX ?? '';
const EXPORT_FORMATS = process.env.BENCH_SCALE_EXPORT_FORMATS ?? 'sft,dpo,responses';
const HISTORY_SAMPLE = 5;
const PAPER_PROBE_PROMPTS = Number(process.env.BENCH_SCALE_PAPER_PROBE ?? 3);
const SWEEP_RUNS_SAMPLE = 10;
// the timeline's sampling interval: per-interval plays/s and CPU per play over the sweep
const TIMELINE_S = Number(process.env.BENCH_SCALE_TIMELINE_S ?? 300);
if (!(TIMELINE_S > 0))
  throw new Error(`BENCH_SCALE_TIMELINE_S: "${process.env.BENCH_SCALE_TIMELINE_S}" is not a positive number of seconds`);
const TOA = path.join(ROOT, 'bin', 'toa.js');
const RUSAGE = path.join(ROOT, 'dist-bench', 'bench', 'rusage.js');

type Target = 'cluster' | 'embedded';
for (const t of TARGETS)
  if (t !== 'cluster' && t !== 'embedded') throw new Error(`BENCH_SCALE_TARGETS: unknown target "${t}" (cluster, embedded)`);

/** A running Temporal of either kind: where it is, which processes to measure, what it stores. */
interface TemporalUnderTest {
  address: string;
  namespace: string;
  /** Named process trees whose CPU and memory count as "Temporal" (server; PostgreSQL on the cluster). */
  processes: Record<string, number>;
  /** The database's size in bytes, by database or file. */
  databaseBytes(): Promise<Record<string, number>>;
  /** Files and bytes of the database's folder on disk (PGDATA or the SQLite files). */
  databaseDisk(): { total: DiskUse; byFolder: Record<string, DiskUse> };
  /** The server's Prometheus counters, when it exposes metrics. */
  metrics(): Promise<ServerMetrics | null>;
  close(): Promise<void>;
}

async function startCluster(dir: string): Promise<TemporalUnderTest> {
  const { cluster, info, close } = await startBenchCluster(dir);
  const dbs = ['temporal', 'temporal_visibility'];
  return {
    address: info.address,
    namespace: info.namespace,
    processes: { temporalServer: info.temporal.pid!, postgres: info.postgres.pid! },
    async databaseBytes() {
      const out: Record<string, number> = {};
      for (const db of dbs) out[db] = Number(await cluster.query(`SELECT pg_database_size('${db}')`));
      return out;
    },
    databaseDisk: () => diskUsage(info.postgres.dataDir, 1),
    metrics: () => scrapeMetrics(info.metricsUrl, info.namespace),
    close,
  };
}

async function startEmbedded(dir: string): Promise<TemporalUnderTest> {
  const srv = await startServer(dir);
  const files = () => fs.readdirSync(dir).filter((f) => f.startsWith('temporal.sqlite'));
  return {
    address: srv.address,
    namespace: srv.server.namespace,
    processes: { temporalServer: srv.server.pid },
    async databaseBytes() {
      return Object.fromEntries(files().map((f) => [f, fs.statSync(path.join(dir, f)).size]));
    },
    databaseDisk() {
      const total: DiskUse = { files: 0, bytes: 0, allocatedBytes: 0 };
      for (const f of files()) {
        const st = fs.statSync(path.join(dir, f));
        total.files++;
        total.bytes += st.size;
        total.allocatedBytes += st.blocks * 512;
      }
      return { total, byFolder: { '.': total } };
    },
    metrics: async () => null,
    close: () => srv.close(),
  };
}

/** Counters of the server's Prometheus endpoint, summed by one label, for the series that match. */
type Counters = Record<string, number>;

interface ServerMetrics {
  /** Temporal's `action` counter (frontend) by action_type (docs.temporal.io/cloud/migrate/estimate-actions). */
  actions: Counters;
  /** Frontend requests of the namespace by operation: what frontend.namespaceRPS limits. */
  frontendRequests: Counters;
  /** Database operations of the history service by operation, and their summed latency (seconds). */
  historyPersistenceCount: Counters;
  historyPersistenceSeconds: Counters;
}

async function scrapeMetrics(metricsUrl: string, namespace: string): Promise<ServerMetrics | null> {
  let text: string;
  try {
    text = await (await fetch(metricsUrl)).text();
  } catch {
    return null;
  }
  const m: ServerMetrics = { actions: {}, frontendRequests: {}, historyPersistenceCount: {}, historyPersistenceSeconds: {} };
  const add = (c: Counters, k: string, v: number) => (c[k] = (c[k] ?? 0) + v);
  for (const line of text.split('\n')) {
    const name = /^[a-z_]+/.exec(line)?.[0];
    if (!name) continue;
    const label = (l: string) => new RegExp(`${l}="([^"]*)"`).exec(line)?.[1] ?? '?';
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    const service = label('service_name');
    if (name === 'action' && service === 'frontend') add(m.actions, label('action_type'), value);
    else if (name === 'service_requests' && service === 'frontend' && label('namespace') === namespace)
      add(m.frontendRequests, label('operation'), value);
    else if (name === 'persistence_latency_count' && service === 'history')
      add(m.historyPersistenceCount, label('operation'), value);
    else if (name === 'persistence_latency_sum' && service === 'history')
      add(m.historyPersistenceSeconds, label('operation'), value);
  }
  return m;
}

function counterDelta(a: Counters, b: Counters): Counters {
  return Object.fromEntries(
    Object.entries(b)
      .map(([k, v]) => [k, round(v - (a[k] ?? 0), 3)])
      .filter(([, v]) => v !== 0),
  );
}

const sum = (c: Counters) => Object.values(c).reduce((x, y) => x + y, 0);

/**
 * What the server did over the sweep, per play: billable Actions (the server counts every
 * RecordMarker command and, once per workflow task that has any, `command_BatchMarkers`;
 * Temporal Cloud bills the latter, so `billable` leaves the former out), frontend requests,
 * history-service database operations and their mean latency.
 */
function serverMetricsDelta(a: ServerMetrics | null, b: ServerMetrics | null, prompts: number, plays: number) {
  if (!a || !b) return null;
  const actions = counterDelta(a.actions, b.actions);
  const billable = sum(Object.fromEntries(Object.entries(actions).filter(([k]) => !k.startsWith('command_RecordMarker'))));
  const requests = counterDelta(a.frontendRequests, b.frontendRequests);
  const dbOps = counterDelta(a.historyPersistenceCount, b.historyPersistenceCount);
  const dbSeconds = counterDelta(a.historyPersistenceSeconds, b.historyPersistenceSeconds);
  const meanMs = (op: string) => (dbOps[op] ? round((1000 * (dbSeconds[op] ?? 0)) / dbOps[op]!, 2) : null);
  const writes = (dbOps.UpdateWorkflowExecution ?? 0) + (dbOps.CreateWorkflowExecution ?? 0);
  return {
    actions: { billable, perPrompt: round(billable / prompts, 2), perPlay: round(billable / plays, 2), byType: actions },
    frontendRequests: { total: sum(requests), perPlay: round(sum(requests) / plays, 2), byOperation: requests },
    historyDatabase: {
      operations: sum(dbOps),
      perPlay: round(sum(dbOps) / plays, 2),
      // Writes of a workflow's mutable state (with its new events): what a history shard serialises.
      workflowWritesPerPlay: round(writes / plays, 2),
      meanLatencyMs: {
        UpdateWorkflowExecution: meanMs('UpdateWorkflowExecution'),
        CreateWorkflowExecution: meanMs('CreateWorkflowExecution'),
        all: round((1000 * sum(dbSeconds)) / Math.max(1, sum(dbOps)), 2),
      },
      byOperation: dbOps,
    },
  };
}

/** One sweep file: `prompts` prompts (ids `<prefix>0..`), two fake agents, the http reward of the fake. */
interface SweepSpec {
  name: string;
  prompts: number;
  idPrefix: string;
  /** Method as in the sweep file, e.g. { type: 'ensemble' }. */
  method: Record<string, unknown>;
  budget: number;
  window: number;
}

const MAIN_SWEEP = (n: number): SweepSpec => ({
  name: `scale-${n}`,
  prompts: n,
  idPrefix: 'q',
  method: { type: 'ensemble' },
  budget: BUDGET,
  window: WINDOW,
});
/** A few prompts at the paper's budget (TOA, 160): what one paper-scale prompt costs in history and Actions. */
const PAPER_PROBE: SweepSpec = {
  name: 'paper-budget-probe',
  prompts: PAPER_PROBE_PROMPTS,
  idPrefix: 'p',
  method: { type: 'toa' },
  budget: 160,
  window: PAPER_PROBE_PROMPTS,
};

function writeSweepFile(dir: string, spec: SweepSpec, openaiUrl: string, rewardUrl: string): string {
  const dataset = `${spec.name}.jsonl`;
  fs.writeFileSync(
    path.join(dir, dataset),
    Array.from({ length: spec.prompts }, (_, i) =>
      JSON.stringify({ id: `${spec.idPrefix}${i}`, instruction: `Scale question ${i}: explain tides.` }),
    ).join('\n') + '\n',
  );
  // The same agents in every file: their task queues (named from their config) are the ones the workers serve.
  const agents = [
    ['agent1', 'fake-a'],
    ['agent2', 'fake-b'],
  ].flatMap(([name, model]) => [
    `  - name: ${name}`,
    `    baseURL: ${openaiUrl}`,
    `    model: ${model}`,
    `    maxConcurrency: ${SLOTS}`,
    '    timeoutSeconds: 60',
  ]);
  const yaml = [
    `name: ${spec.name}`,
    'dataset:',
    `  path: ${dataset}`,
    '  idField: id',
    '  promptField: instruction',
    'agents:',
    ...agents,
    'reward:',
    '  type: http',
    `  url: ${rewardUrl}`,
    '  timeoutSeconds: 30',
    'methods:',
    `  - ${JSON.stringify(spec.method)}`,
    `budgets: [${spec.budget}]`,
    'seeds: [0]',
    `maxRunningPrompts: ${spec.window}`,
    'output: out',
  ].join('\n');
  const file = path.join(dir, `${spec.name}.yaml`);
  fs.writeFileSync(file, `${yaml}\n`);
  return file;
}

/** `toa sweep start` (the CLI, as a user runs it); returns the sweep ID it printed. */
async function startSweepCli(file: string, env: NodeJS.ProcessEnv): Promise<string> {
  const start = await runMeasured(TOA, ['sweep', 'start', file], env);
  const sweepId = /sweep (\S+) started/.exec(start.output)?.[1];
  if (start.exitCode !== 0 || !sweepId) throw new Error(`toa sweep start ${file} failed:\n${start.output}`);
  return sweepId;
}

interface Worker {
  child: Child;
  rusageFile: string;
}

async function startWorkers(dir: string, env: NodeJS.ProcessEnv, sweepFile: string): Promise<Worker[]> {
  return Promise.all(
    Array.from({ length: WORKERS }, async (_, i) => {
      const rusageFile = path.join(dir, `worker-${i}.rusage.json`);
      const child = spawnNode(
        TOA,
        ['worker', '-c', sweepFile, '--allow-path', dir] /* the paper-budget probe's dataset sits beside it */,
        { ...env, NODE_OPTIONS: WORKER_NODE_OPTIONS, BENCH_RUSAGE_FILE: rusageFile },
        ['-r', RUSAGE],
      );
      await child.waitFor(/worker ready/, 120_000);
      return { child, rusageFile };
    }),
  );
}

/** Histories of a sample of a sweep's prompt workflows: events, bytes, state transitions, billable Actions. */
async function samplePrompts(client: Client, sweepId: string, spec: SweepSpec, sample = HISTORY_SAMPLE) {
  const key = jobKey({ methods: [methodSchema.parse(spec.method)] }, { methodIndex: 0, budget: spec.budget, seed: 0 });
  const n = spec.prompts;
  const ids = [
    ...new Set(
      Array.from({ length: Math.min(sample, n) }, (_, i) => Math.floor((i * (n - 1)) / Math.max(1, Math.min(sample, n) - 1))),
    ),
  ];
  const rows: Array<{ events: number; bytes: number; transitions: number; actions: Record<string, number> }> = [];
  for (const i of ids) {
    const id = promptWorkflowId(sweepId, key, `${spec.idPrefix}${i}`);
    const h = await fetchHistorySized(client, id);
    // Each state transition is one write of the workflow's mutable state by its history shard.
    const transitions = Number(
      (await client.workflow.getHandle(id).describe()).raw.workflowExecutionInfo?.stateTransitionCount ?? NaN,
    );
    rows.push({ events: h.events, bytes: h.bytes, transitions, actions: billableActions(h.history.events ?? []) });
  }
  const actionKinds = [...new Set(rows.flatMap((r) => Object.keys(r.actions)))];
  return {
    method: spec.method.type,
    budget: spec.budget,
    sampled: ids.length,
    eventsPerPrompt: round(mean(rows.map((r) => r.events)), 1),
    historyBytesPerPrompt: round(mean(rows.map((r) => r.bytes)), 0),
    stateTransitionsPerPrompt: round(mean(rows.map((r) => r.transitions)), 1),
    billableActionsPerPrompt: Object.fromEntries(actionKinds.map((k) => [k, round(mean(rows.map((r) => r.actions[k] ?? 0)), 2)])),
  };
}

/** A few prompts at the paper's budget, run by the same workers after the measured sweep. */
async function paperBudgetProbe(client: Client, dir: string, env: NodeJS.ProcessEnv, openaiUrl: string, rewardUrl: string) {
  const sweepId = await startSweepCli(writeSweepFile(dir, PAPER_PROBE, openaiUrl, rewardUrl), env);
  const progress = (await client.workflow
    .getHandle(sweepId)
    .result()
    .catch((err: Error & { cause?: Error & { cause?: Error } }) => {
      throw new Error(
        `the paper-budget probe sweep ${sweepId} failed: ${err.cause?.message ?? err.message}${err.cause?.cause ? `: ${err.cause.cause.message}` : ''}`,
      );
    })) as SweepProgress;
  const prompts = await samplePrompts(client, sweepId, PAPER_PROBE, PAPER_PROBE.prompts);
  // Its records alone (the texts and memos share the store with the measured sweep).
  const records = diskUsage(path.join(dir, 'out', sweepId, 'records'), 0).total;
  return {
    done: progress.done,
    failed: progress.failed,
    plays: progress.compute.generations,
    ...prompts,
    eventsPerPlay: round(prompts.eventsPerPrompt / PAPER_PROBE.budget, 2),
    historyBytesPerPlay: round(prompts.historyBytesPerPrompt / PAPER_PROBE.budget, 0),
    stateTransitionsPerPlay: round(prompts.stateTransitionsPerPrompt / PAPER_PROBE.budget, 2),
    billableActionsPerPlay: round((prompts.billableActionsPerPrompt.total ?? 0) / PAPER_PROBE.budget, 3),
    recordPerPrompt: perPrompt(records, Math.max(1, progress.done)),
  };
}

/** The sweep workflow's runs (continue-as-new): events per run, and Actions per child it started (first runs sampled). */
async function sampleSweep(client: Client, sweepId: string) {
  const runs: string[] = [];
  for await (const w of client.workflow.list({ query: `WorkflowId = "${sweepId}"` })) runs.push(w.runId);
  let children = 0;
  let events = 0;
  let bytes = 0;
  let transitions = 0;
  const actions: Record<string, number> = {};
  const sampled = runs.slice(-SWEEP_RUNS_SAMPLE); // list returns newest first: these are the first runs
  for (const runId of sampled) {
    const h = await fetchHistorySized(client, sweepId, runId);
    transitions += Number(
      (await client.workflow.getHandle(sweepId, runId).describe()).raw.workflowExecutionInfo?.stateTransitionCount ?? NaN,
    );
    events += h.events;
    bytes += h.bytes;
    children += (h.history.events ?? []).filter((e) => e.startChildWorkflowExecutionInitiatedEventAttributes).length;
    for (const [k, v] of Object.entries(billableActions(h.history.events ?? []))) actions[k] = (actions[k] ?? 0) + v;
  }
  return {
    runs: runs.length,
    runsSampled: sampled.length,
    eventsPerRun: round(events / sampled.length, 0),
    historyBytesPerRun: round(bytes / sampled.length, 0),
    childrenStartedInSample: children,
    stateTransitionsPerPrompt: round(transitions / Math.max(1, children), 2),
    billableActionsPerPrompt: Object.fromEntries(
      Object.entries(actions).map(([k, v]) => [k, round(v / Math.max(1, children), 3)]),
    ),
  };
}

/** Mean size of the responses of a few finished prompts, read from their records (a finished prompt's texts live in its record). */
async function responseBytes(recordsDir: string): Promise<number> {
  const sizes: number[] = [];
  for await (const entry of iterateRecords<PromptRecord>(recordsDir)) {
    for (const r of entry.record.result.responses) if (typeof r.text === 'string') sizes.push(Buffer.byteLength(r.text));
    if (sizes.length >= 12) break;
  }
  return round(mean(sizes), 0);
}

function perPrompt(d: DiskUse, prompts: number) {
  return {
    files: round(d.files / prompts, 2),
    bytes: round(d.bytes / prompts, 0),
    allocatedBytes: round(d.allocatedBytes / prompts, 0),
  };
}

async function runOne(target: Target, n: number) {
  const dir = tmpDir(`scale-${target}-${n}-`);
  log(`${target} ${n}: ${dir}`);
  const openai = await startFake('openai', {
    defaultModel: { quality: 0.5, noise: 0.2, words: WORDS },
    seed: 1,
    keepRequests: 0,
  });
  const reward = await startFake('reward', { keepRequests: 0 } as never);
  const temporal = target === 'cluster' ? await startCluster(dir) : await startEmbedded(dir);
  const env = { TEMPORAL_ADDRESS: temporal.address, TEMPORAL_NAMESPACE: temporal.namespace, TOA_HOME: path.join(dir, '.toa') };
  const connection = await Connection.connect({ address: temporal.address });
  const client = new Client({ connection, namespace: temporal.namespace });
  try {
    const sweepFile = writeSweepFile(dir, MAIN_SWEEP(n), openai.url, reward.url);
    const workers = await startWorkers(dir, env, sweepFile);
    const db0 = await temporal.databaseBytes();
    const dbDisk0 = temporal.databaseDisk().total;
    const metrics0 = await temporal.metrics();
    const sources: Record<string, CpuSource> = {
      ...Object.fromEntries(workers.map((w, i) => [`worker${i + 1}`, w.child.pid])),
      ...Object.fromEntries(Object.entries(temporal.processes).map(([k, pid]) => [k, { tree: pid }])),
      fakeOpenAI: openai.pid,
      fakeReward: reward.pid,
    };
    const cpu = cpuMeter(sources);
    const peaks = peakSampler({
      ...Object.fromEntries(workers.map((w, i) => [`worker${i + 1}PeakRssMiB`, () => procMem(w.child.pid)?.peakRssMiB ?? NaN])),
      ...Object.fromEntries(Object.entries(temporal.processes).map(([k, pid]) => [`${k}PssMiB`, () => treeMem(pid).pssMiB])),
      ...Object.fromEntries(
        Object.entries(temporal.processes).map(([k, pid]) => [`${k}MaxProcessPeakRssMiB`, () => treeMem(pid).maxPeakRssMiB]),
      ),
    });
    const load0 = loadNow();
    const t0 = performance.now();
    const sweepId = await startSweepCli(sweepFile, env);
    // sweepProgress bounds its query: a read that cannot be answered is skipped, never waited on
    const finished = async () => {
      const p = await sweepProgress(client, sweepId);
      return p.done + p.failed;
    };
    const timeline = timelineSampler(finished, cpu, TIMELINE_S * 1000);
    const progress = (await client.workflow.getHandle(sweepId).result()) as SweepProgress;
    const wallS = (performance.now() - t0) / 1000;
    const timelinePoints = await timeline.stop(progress.done + progress.failed);
    const load1 = loadNow();
    const cpuUse = cpu();
    const peak = peaks.stop();
    await sleep(3000); // the server's metrics reach its Prometheus endpoint on a ~1 s reporting interval
    const metrics1 = await temporal.metrics();
    const plays = progress.compute.generations;
    const stats = await openai.stats();
    log(`${target} ${n}: ${progress.done} done, ${progress.failed} failed, ${plays} plays in ${wallS.toFixed(1)} s`);

    const outDir = path.join(dir, 'out');
    const output = diskUsage(outDir, 2);
    const db1 = await temporal.databaseBytes();
    const dbDisk = temporal.databaseDisk();
    const prompts = await samplePrompts(client, sweepId, MAIN_SWEEP(n));
    const sweepHist = await sampleSweep(client, sweepId);
    const respBytes = await responseBytes(path.join(outDir, sweepId, 'records'));
    const paper = PAPER_PROBE.prompts > 0 ? await paperBudgetProbe(client, dir, env, openai.url, reward.url) : null;
    for (const w of workers) await w.child.kill('SIGTERM');
    const workerRusage = workers.map((w) => readRusage(w.rusageFile));

    log(`${target} ${n}: toa export, toa report`);
    const exp = await runMeasured(TOA, ['export', sweepId, '--format', EXPORT_FORMATS], env);
    const exportDisk = diskUsage(path.join(outDir, sweepId, 'export'), 0).total;
    const rep = await runMeasured(TOA, ['report', sweepId], env);
    const measuredCmd = (r: Awaited<ReturnType<typeof runMeasured>>) => ({
      exitCode: r.exitCode,
      wallS: r.wallS,
      cpuS: r.cpuS,
      peakRssMiB: r.peakRssMiB,
      ...(r.exitCode === 0 ? {} : { outputTail: r.output.slice(-2000) }),
    });

    const cpuPerPlayMs = Object.fromEntries(Object.entries(cpuUse).map(([k, v]) => [k, round((v.cpuS * 1000) / plays, 2)]));
    const workerCpuMs = workers.reduce((a, _, i) => a + (cpuPerPlayMs[`worker${i + 1}`] ?? 0), 0);
    const temporalCpuMs = Object.keys(temporal.processes).reduce((a, k) => a + (cpuPerPlayMs[k] ?? 0), 0);
    const dbGrowth = Object.fromEntries(Object.keys(db1).map((k) => [k, (db1[k] ?? 0) - (db0[k] ?? 0)]));
    const dbGrowthTotal = Object.values(dbGrowth).reduce((a, b) => a + b, 0);
    const outputTotal = output.total;
    const row = {
      target,
      prompts: n,
      budget: BUDGET,
      method: 'ensemble (K=2)',
      workers: WORKERS,
      workerNodeOptions: WORKER_NODE_OPTIONS,
      window: WINDOW,
      sweepId,
      status: progress.status,
      done: progress.done,
      failed: progress.failed,
      plays,
      endpointRequests: stats.requests,
      wallS: round(wallS, 1),
      loadavg1: { atStart: load0, atEnd: load1 },
      promptsPerS: round(n / wallS, 2),
      playsPerS: round(plays / wallS, 1),
      cpuByProcess: cpuUse,
      cpuMsPerPlay: { ...cpuPerPlayMs, workersTotal: round(workerCpuMs, 2), temporalTotal: round(temporalCpuMs, 2) },
      memory: {
        ...peak,
        // getrusage at the workers' exit: their whole life, the paper-budget probe included
        workersPeakRssMiBAtExit: workerRusage.map((u) => (u ? round(u.maxRssKiB / 1024, 1) : null)),
      },
      disk: {
        output: { total: outputTotal, byFolder: output.byFolder },
        outputPerPrompt: perPrompt(outputTotal, n),
        outputByFolderPerPrompt: Object.fromEntries(Object.entries(output.byFolder).map(([k, v]) => [k, perPrompt(v, n)])),
        responseBytesMean: respBytes,
        responseTextBytesPerPrompt: round(respBytes * (plays / n), 0),
        responseTextShareOfOutputBytes: round((respBytes * plays) / outputTotal.bytes, 3),
        responseTextShareOfOutputAllocated: round((respBytes * plays) / outputTotal.allocatedBytes, 3),
        database: { before: db0, after: db1, growth: dbGrowth, growthPerPrompt: round(dbGrowthTotal / n, 0) },
        databaseFolder: { before: dbDisk0, after: dbDisk.total, afterByFolder: dbDisk.byFolder },
        databaseFolderGrowthPerPrompt: perPrompt(
          {
            files: dbDisk.total.files - dbDisk0.files,
            bytes: dbDisk.total.bytes - dbDisk0.bytes,
            allocatedBytes: dbDisk.total.allocatedBytes - dbDisk0.allocatedBytes,
          },
          n,
        ),
      },
      history: {
        promptWorkflow: prompts,
        sweepWorkflow: sweepHist,
        billableActionsPerPlay: round(
          ((prompts.billableActionsPerPrompt.total ?? 0) + (sweepHist.billableActionsPerPrompt.total ?? 0)) / BUDGET,
          2,
        ),
        paperBudgetProbe: paper,
      },
      serverMetrics: serverMetricsDelta(metrics0, metrics1, n, plays),
      timeline: {
        everyS: TIMELINE_S,
        intervals: timelineIntervals(timelinePoints, BUDGET, {
          workers: workers.map((_, i) => `worker${i + 1}`),
          ...Object.fromEntries(Object.keys(temporal.processes).map((k) => [k, [k]])),
        }),
      },
      export: { formats: EXPORT_FORMATS, ...measuredCmd(exp), outputBytes: exportDisk.bytes, outputFiles: exportDisk.files },
      report: measuredCmd(rep),
      projection100k: { wallS: round((FULL_SIZE * wallS) / n, 0), wallH: round((FULL_SIZE * wallS) / n / 3600, 2) },
    };
    log(
      JSON.stringify({
        target,
        n,
        wallS: row.wallS,
        playsPerS: row.playsPerS,
        cpuMsPerPlay: row.cpuMsPerPlay,
        memory: row.memory,
        export: row.export,
        report: row.report,
      }),
    );
    return row;
  } finally {
    await connection.close().catch(() => undefined);
    await openai.close();
    await reward.close();
    await temporal.close();
    if (process.env.BENCH_SCALE_KEEP !== '1') fs.rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  for (const n of SIZES) {
    const load0 = loadNow();
    const runs: unknown[] = [];
    for (const target of TARGETS) {
      runs.push(await runOne(target, n));
      // Written after each target, so a long first run survives a failure of the next one.
      writeRuns(n, runs, load0);
    }
  }
}

function writeRuns(n: number, runs: unknown[], load0: ReturnType<typeof loadNow>) {
  writeResult(
    // Both targets: scale-cluster-<n> (the name of the first runs); one target: its own name, so a
    // cluster-only and an embedded-only run of the same size never overwrite each other.
    `${TARGETS.length === 1 ? `scale-${TARGETS[0]}-only` : 'scale-cluster'}-${n}${RESULT_SUFFIX}`,
    {
      parameters: {
        prompts: n,
        validationRun: n < FULL_SIZE,
        targets: TARGETS,
        method: 'ensemble',
        agents: 2,
        budget: BUDGET,
        slotsPerAgent: SLOTS,
        window: WINDOW,
        workers: WORKERS,
        workerNodeOptions: WORKER_NODE_OPTIONS,
        responseWords: WORDS,
        exportFormats: EXPORT_FORMATS,
      },
      results: runs,
      notes: [
        ...(n < FULL_SIZE
          ? [
              `Validation run (${n} prompts, not the ${FULL_SIZE.toLocaleString('en')} of issue 12): per-play costs from it are estimates; projection100k scales its wall time linearly.`,
            ]
          : []),
        'Same sweep on each target through the project commands: `toa sweep start`, `toa worker` × workers (NODE_OPTIONS as docker-compose), `toa export`, `toa report`; 0 ms fake endpoint (test double) in its own process.',
        'cluster: fresh LocalCluster (Temporal server 1.31 built from source, PostgreSQL, SQL visibility) in a temp folder; embedded: fresh Temporal CLI dev server on a SQLite file.',
        'CPU: /proc/<pid>/stat utime+stime over the sweep (start to result); PostgreSQL and servers as process trees (exited children counted through cutime/cstime).',
        'Memory: workers VmHWM (sampled each second, and getrusage at exit); servers and PostgreSQL as the sum of PSS over their process tree (peak of 1 s samples) and the largest single VmHWM.',
        'Disk: files, bytes and allocated bytes (st_blocks) under the output folder by sub-folder, before export; database growth: pg_database_size (temporal + temporal_visibility) or the SQLite files.',
        "Billable Actions: counted from sampled histories per Temporal Cloud's list (docs.temporal.io/cloud/actions); on the cluster also the server's `action` metric (frontend) over the sweep, which includes the CLI's queries.",
      ],
    },
    load0,
  );
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exit(1);
});
