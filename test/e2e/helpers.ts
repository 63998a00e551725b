/**
 * E2E helpers: real processes (the `toa` CLI, workers, fake endpoints, the Temporal dev server),
 * their logs, and cleanup. Every process started here is registered and killed by `killAll()`.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { startDevServer, type DevServerHandle } from '../../src/server';
import { fakeControl } from '../../src/testing';

export const ROOT = path.resolve(__dirname, '..', '..');
export const TOA_BIN = path.join(ROOT, 'bin', 'toa.js');
export const FAKE_CLI = path.join(ROOT, 'dist', 'testing', 'cli.js');
export const GSM8K = path.resolve(__dirname, '../../data/gsm8k.test.1319.jsonl');
export const ARTIFACTS = path.join(ROOT, 'test-artifacts');

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Builds dist/ when it is missing or older than src/ (the `npm test` script already does this). */
export function ensureBuilt(): void {
  const r = spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'setup.js'), '--quiet'], { cwd: ROOT, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`scripts/setup.js failed:\n${r.stdout}\n${r.stderr}`);
}

import { createPrng } from '../../src/search/prng';
import { freePort } from '../../src/testing/common';
export { freePort };

export function tempDir(prefix = 'toa-e2e-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix));
}

/** A child process whose stdout and stderr are kept in memory and mirrored to a log file. */
export class Proc {
  readonly child: ChildProcess;
  out = '';
  err = '';
  exitCode: number | null | undefined = undefined;
  exitSignal: NodeJS.Signals | null = null;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly log: fs.WriteStream;

  constructor(
    readonly name: string,
    cmd: string,
    args: string[],
    opts: { cwd: string; env: NodeJS.ProcessEnv; logFile: string },
  ) {
    this.log = fs.createWriteStream(opts.logFile, { flags: 'a' });
    this.log.write(`--- ${new Date().toISOString()} ${cmd} ${args.join(' ')}\n`);
    this.child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
    this.child.stdout!.on('data', (d: Buffer) => {
      this.out += d.toString();
      this.log.write(d);
    });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.err += d.toString();
      this.log.write(d);
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exitCode = code;
        this.exitSignal = signal;
        this.log.end();
        resolve({ code, signal });
      });
    });
    live.add(this);
    void this.exited.then(() => live.delete(this));
  }

  get pid(): number {
    return this.child.pid!;
  }

  get running(): boolean {
    return this.exitCode === undefined;
  }

  /** Resolves when `re` matches stdout+stderr; rejects on exit or timeout (with the log tail). */
  async waitFor(re: RegExp, timeoutMs = 60000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const m = (this.out + this.err).match(re);
      if (m) return m;
      if (!this.running)
        throw new Error(`${this.name} exited (${this.exitCode ?? this.exitSignal}) before printing ${re}\n${this.tail()}`);
      if (Date.now() > deadline) throw new Error(`${this.name}: no ${re} within ${timeoutMs} ms\n${this.tail()}`);
      await sleep(50);
    }
  }

  async kill9(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await this.exited;
  }

  async wait(timeoutMs = 120000): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    let timer: NodeJS.Timeout | undefined;
    const t = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
    const r = await Promise.race([this.exited, t]);
    clearTimeout(timer);
    if (r === 'timeout') throw new Error(`${this.name} still running after ${timeoutMs} ms\n${this.tail()}`);
    return r;
  }

  tail(lines = 40): string {
    const all = `${this.out}\n[stderr]\n${this.err}`.trim().split('\n');
    return `--- ${this.name} (pid ${this.child.pid}) last lines ---\n${all.slice(-lines).join('\n')}`;
  }
}

const live = new Set<Proc>();
const servers = new Set<DevServerHandle>();

/** Kills every child still running and stops every dev server (afterAll). */
export async function killAll(): Promise<void> {
  await Promise.all([...live].map((p) => p.kill9()));
  await Promise.all([...servers].map((s) => s.stop({ graceMs: 2000 }).catch(() => undefined)));
  servers.clear();
}

/** A test environment: a temp folder, a dev server on free ports with its SQLite file, and env for children. */
export class E2E {
  readonly dir: string;
  readonly logs: string;
  readonly dbFile: string;
  server!: DevServerHandle;
  port!: number;
  private conn?: Connection;
  client!: Client;
  /** Extra env for every child. */
  extraEnv: NodeJS.ProcessEnv = {};

  constructor(prefix: string) {
    this.dir = tempDir(`toa-e2e-${prefix}-`);
    this.logs = path.join(this.dir, 'logs');
    fs.mkdirSync(this.logs, { recursive: true });
    this.dbFile = path.join(this.dir, 'temporal.sqlite');
  }

  async startServer(port?: number): Promise<DevServerHandle> {
    this.port = port ?? (await freePort());
    this.server = await startDevServer({
      dbFile: this.dbFile,
      port: this.port,
      uiPort: null,
      logFile: path.join(this.logs, 'temporal-server.log'),
      recordState: false,
      // Fast re-dispatch of work from a killed worker's sticky queue is the SDK's business; the
      // server itself needs nothing special.
    });
    servers.add(this.server);
    if (!this.conn) {
      this.conn = await Connection.connect({ address: this.server.address });
      this.client = new Client({ connection: this.conn, namespace: 'default' });
    }
    return this.server;
  }

  /** SIGKILL the dev server (no grace). */
  async killServer(): Promise<void> {
    process.kill(this.server.pid, 'SIGKILL');
    await this.server.exited;
    servers.delete(this.server);
  }

  env(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...process.env, ...this.extraEnv, ...extra };
    env.TEMPORAL_ADDRESS = `127.0.0.1:${this.port}`;
    env.TOA_HOME = path.join(this.dir, '.toa');
    delete env.FORCE_COLOR;
    return env;
  }

  /** `node bin/toa.js ...` as a child (not awaited). */
  toa(name: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}): Proc {
    return new Proc(name, process.execPath, [TOA_BIN, ...args], {
      cwd: this.dir,
      env: this.env(extraEnv),
      logFile: path.join(this.logs, `${name}.log`),
    });
  }

  /** Runs `toa ...` to completion. */
  async toaRun(name: string, args: string[], extraEnv: NodeJS.ProcessEnv = {}, timeoutMs = 90000): Promise<Proc> {
    const p = this.toa(name, args, extraEnv);
    await p.wait(timeoutMs);
    return p;
  }

  /**
   * Closes the client and removes the temp folder (SQLite file, logs, records). Set
   * TOA_E2E_KEEP=1 to keep it for a post-mortem; failures print the tails of the logs anyway.
   */
  async close(): Promise<void> {
    await this.conn?.close().catch(() => undefined);
    await killAll();
    if (process.env.TOA_E2E_KEEP) process.stderr.write(`kept ${this.dir}\n`);
    else fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A fake endpoint (dist/testing/cli.js) in its own process. */
export interface FakeProc {
  proc: Proc;
  url: string;
  origin: string;
  control: ReturnType<typeof fakeControl>;
}

export async function startFake(
  e: E2E,
  kind: 'openai' | 'reward',
  name: string,
  options: Record<string, unknown>,
): Promise<FakeProc> {
  const proc = new Proc(name, process.execPath, [FAKE_CLI, kind, '--options', JSON.stringify(options)], {
    cwd: e.dir,
    env: process.env,
    logFile: path.join(e.logs, `${name}.log`),
  });
  const m = await proc.waitFor(/^\{.*"url".*\}$/m, 20000);
  const info = JSON.parse(m[0]) as { url: string };
  const origin = new URL(info.url).origin;
  return { proc, url: info.url, origin, control: fakeControl(origin) };
}

/** Copies the first `n` GSM8K test lines (data/, shipped with the repository) into `dir/data.jsonl`. */
export function writeDataset(dir: string, n: number, file = 'data.jsonl'): { path: string; ids: string[] } {
  const lines = fs.readFileSync(GSM8K, 'utf8').split('\n').filter(Boolean).slice(0, n);
  const p = path.join(dir, file);
  fs.writeFileSync(p, `${lines.join('\n')}\n`);
  return { path: p, ids: lines.map((l) => String((JSON.parse(l) as { id: unknown }).id)) };
}

export interface SweepYamlOptions {
  name: string;
  datasetFile?: string;
  openaiUrl: string;
  rewardUrl: string;
  agents?: AgentYaml[];
  methods?: string;
  budgets?: number[];
  maxRunningPrompts?: number;
  retry?: { maxAttempts: number; initialIntervalSeconds: number; maxIntervalSeconds: number };
  rewardTimeoutSeconds?: number;
  onPlayFailure?: 'continue' | 'fail-prompt';
}

export interface AgentYaml {
  name: string;
  model: string;
  maxConcurrency?: number;
  timeoutSeconds?: number;
  apiKeyEnv?: string;
}

export const DEFAULT_AGENTS: Array<AgentYaml & { maxConcurrency: number }> = [
  { name: 'alpha', model: 'model-a', maxConcurrency: 4, timeoutSeconds: 5 },
  { name: 'beta', model: 'model-b', maxConcurrency: 4, timeoutSeconds: 5 },
];

/** Writes a sweep file into `dir` and returns its path. */
export function writeSweep(dir: string, o: SweepYamlOptions, file = 'sweep.yaml'): string {
  const agents: AgentYaml[] = o.agents ?? DEFAULT_AGENTS;
  const yaml = [
    `name: ${o.name}`,
    'dataset:',
    `  path: ${o.datasetFile ?? 'data.jsonl'}`,
    '  idField: id',
    '  promptField: instruction',
    'agents:',
    ...agents.flatMap((a) => [
      `  - name: ${a.name}`,
      `    baseURL: ${o.openaiUrl}`,
      `    model: ${a.model}`,
      `    maxConcurrency: ${a.maxConcurrency ?? 4}`,
      `    timeoutSeconds: ${a.timeoutSeconds ?? 5}`,
      ...(a.apiKeyEnv ? [`    apiKeyEnv: ${a.apiKeyEnv}`] : []),
      '    sampling: { maxTokens: 64 }',
    ]),
    'reward:',
    '  type: http',
    `  url: ${o.rewardUrl}`,
    `  timeoutSeconds: ${o.rewardTimeoutSeconds ?? 2}`,
    'methods:',
    o.methods ?? `  - type: toa\n    parallelPlays: 2\n  - type: random\n    agent: ${agents[0].name}`,
    `budgets: [${(o.budgets ?? [4]).join(', ')}]`,
    `maxRunningPrompts: ${o.maxRunningPrompts ?? 16}`,
    ...(o.onPlayFailure ? [`onPlayFailure: ${o.onPlayFailure}`] : []),
    'output: out',
    ...(o.retry
      ? [
          'retry:',
          `  maxAttempts: ${o.retry.maxAttempts}`,
          `  initialIntervalSeconds: ${o.retry.initialIntervalSeconds}`,
          `  maxIntervalSeconds: ${o.retry.maxIntervalSeconds}`,
        ]
      : ['retry:', '  maxAttempts: 20', '  initialIntervalSeconds: 0.2', '  maxIntervalSeconds: 2']),
  ].join('\n');
  const p = path.join(dir, file);
  fs.writeFileSync(p, `${yaml}\n`);
  return p;
}

/** The sweep id printed by `toa sweep start`. */
export function sweepIdFrom(out: string): string {
  const m = out.match(/^sweep (\S+) /m);
  if (!m) throw new Error(`no sweep id in:\n${out}`);
  return m[1];
}

/**
 * Record files of a sweep: name → parsed record. Fails on any other file, including temp files
 * in `.tmp/` (a killed writer's leftovers must be gone once a later write has run).
 */
export function readRecords(
  recordsDir: string,
): Map<string, { workflowId: string; promptId: string; method: string; result: { responses: unknown[] } }> {
  const out = new Map();
  if (!fs.existsSync(recordsDir)) return out;
  for (const f of fs.readdirSync(recordsDir, { recursive: true }) as string[]) {
    const full = path.join(recordsDir, f);
    if (!fs.statSync(full).isFile()) continue;
    if (!f.endsWith('.json')) throw new Error(`unexpected file in records: ${f}`);
    const parsed = JSON.parse(fs.readFileSync(full, 'utf8')) as { record?: unknown };
    out.set(f, parsed.record ?? parsed);
  }
  return out;
}

/** Waits for a workflow to close; returns its status name. */
export async function waitClosed(
  client: Client,
  workflowId: string,
  timeoutMs: number,
  onTick?: () => Promise<void> | void,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const d = await client.workflow
      .getHandle(workflowId)
      .describe()
      .catch(() => undefined);
    if (d && d.status.name !== 'RUNNING') return d.status.name;
    if (Date.now() > deadline) throw new Error(`${workflowId} still ${d?.status.name ?? 'unknown'} after ${timeoutMs} ms`);
    await onTick?.();
    await sleep(500);
  }
}

/** Seeded PRNG: the search core's mulberry32. */
export function rng(seed: number): () => number {
  const prng = createPrng(seed);
  return () => prng.next();
}

export function writeArtifact(name: string, data: unknown): void {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  fs.writeFileSync(path.join(ARTIFACTS, name), `${JSON.stringify(data, null, 2)}\n`);
}

/** What every e2e file shares: a dev server and both fakes for the file, torn down after it. */
export interface E2ESetup {
  e: E2E;
  openai: FakeProc;
  reward: FakeProc;
}

export function useE2E(name: string, openaiOptions: Record<string, unknown>): E2ESetup {
  const s = {} as E2ESetup;
  beforeAll(async () => {
    ensureBuilt();
    s.e = new E2E(name);
    await s.e.startServer();
    s.openai = await startFake(s.e, 'openai', 'fake-openai', openaiOptions);
    s.reward = await startFake(s.e, 'reward', 'fake-reward', {});
  });
  afterAll(async () => {
    await s.e?.close();
    await killAll();
  });
  return s;
}

/** A fresh folder under the e2e run's temp dir. */
export function subDir(e: E2E, name: string): string {
  const d = path.join(e.dir, name);
  fs.mkdirSync(d, { recursive: true });
  return d;
}
