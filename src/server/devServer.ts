/**
 * The embedded Temporal server: `temporal server start-dev` on a SQLite file under .toa/, so
 * sweeps survive restarts of everything. Also `ensureServer()`, which picks the cluster from
 * TEMPORAL_ADDRESS, reuses this project's running embedded server, or starts one in the background.
 *
 * State files (under $TOA_HOME, default ./.toa):
 *   temporal.sqlite        the server's database (plus -wal / -shm files in WAL mode)
 *   temporal-server.log    server stdout/stderr
 *   server.json            { pid, address, uiUrl, namespace, dbFile, logFile, ... } of the running embedded server
 */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';
import { Connection } from '@temporalio/client';
import { msToTs } from '@temporalio/common/lib/time';
import { resolveTemporalCli, stateDir } from './cli-path';
import { describeTarget, targetFromEnv, type TemporalTarget } from './connection';
import { registerSearchAttributes } from './registerSearchAttributes';
import { devServerSearchAttributeArgs } from '../common/searchAttributes';

/**
 * Default SQLite pragmas. WAL + synchronous=NORMAL: a committed transaction survives any crash of
 * the server process (or of `toa`); only an OS crash / power loss can roll back the last few
 * transactions (the database stays consistent). See docs/deployment.md for the measurements
 * against synchronous=OFF.
 */
export const DEFAULT_SQLITE_PRAGMAS: Readonly<Record<string, string>> = Object.freeze({
  journal_mode: 'WAL',
  synchronous: 'NORMAL',
});

export interface DevServerOptions {
  /** SQLite file; default `<stateDir>/temporal.sqlite`. `null` = in-memory (nothing persists). */
  dbFile?: string | null;
  /** Frontend gRPC port (default 7233). */
  port?: number;
  /** Web UI port (default 8233); `null` = no UI (`--headless`). */
  uiPort?: number | null;
  /** Namespace to create and register search attributes on (default "default"). */
  namespace?: string;
  /** SQLite pragmas (default {@link DEFAULT_SQLITE_PRAGMAS}); ignored for an in-memory server. */
  sqlitePragmas?: Readonly<Record<string, string>>;
  /** IP to bind (default 127.0.0.1). */
  ip?: string;
  /** Server log file (appended to); default `<stateDir>/temporal-server.log`. */
  logFile?: string;
  /** Server log level (default: the CLI's default, "warn"). */
  logLevel?: 'debug' | 'info' | 'warn' | 'error';
  /**
   * Start in its own process group and do not keep this process alive, so the server outlives
   * the caller (what `ensureServer()` does). Default false (foreground, e.g. `toa server`).
   */
  detached?: boolean;
  /** Write `<stateDir>/server.json` so later `ensureServer()` calls reuse this server (default true). */
  recordState?: boolean;
  /** Temporal CLI binary; default {@link resolveTemporalCli}. */
  cliPath?: string;
  /** How long to wait for the frontend to answer (default 60 s). */
  startTimeoutMs?: number;
  /** `--dynamic-config-value KEY=JSON` pairs. */
  dynamicConfig?: Readonly<Record<string, unknown>>;
  /** Extra raw arguments for `temporal server start-dev`. */
  extraArgs?: string[];
}

/** A running embedded server. */
export interface DevServerHandle extends TemporalTarget {
  /** Web UI URL, or undefined when headless. */
  uiUrl?: string;
  pid: number;
  /** Absolute SQLite path, or null for in-memory. */
  dbFile: string | null;
  logFile: string;
  /** Stop the server: SIGTERM, then SIGKILL after `graceMs` (default 10 s). Resolves when it has exited. */
  stop(opts?: { graceMs?: number }): Promise<void>;
  /** Resolves with the exit code (or signal name) when the server process exits. */
  exited: Promise<number | string | null>;
}

/** Contents of `<stateDir>/server.json`. */
export interface EmbeddedServerState {
  pid: number;
  address: string;
  uiUrl?: string;
  namespace: string;
  dbFile: string | null;
  logFile: string;
  port: number;
  startedAt: string;
  cliPath: string;
}

/** Result of {@link ensureServer}: where to connect and how the server was obtained. */
export interface EnsuredServer extends TemporalTarget {
  /** `cluster`: TEMPORAL_ADDRESS; `reused`: an embedded server already running; `started`: just started (detached). */
  mode: 'cluster' | 'reused' | 'started';
  /** pid of the embedded server (not for `cluster`). */
  pid?: number;
  logFile?: string;
  dbFile?: string | null;
}

/** Path of the state file recording the running embedded server. */
export function serverStateFile(): string {
  return path.join(stateDir(), 'server.json');
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function connectHost(ip: string): string {
  return ip === '0.0.0.0' || ip === '::' ? '127.0.0.1' : ip;
}

/** Last `lines` lines of a file, reading from byte `from` on ('' if unreadable). */
export function tailFile(file: string, lines = 30, from = 0): string {
  try {
    const fd = fs.openSync(file, 'r');
    try {
      const size = fs.fstatSync(fd).size;
      const start = Math.max(from <= size ? from : 0, size - 64 * 1024);
      const buf = Buffer.alloc(size - start);
      fs.readSync(fd, buf, 0, buf.length, start);
      return buf.toString('utf8').split('\n').slice(-lines).join('\n').trim();
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Does anything accept TCP connections on host:port? */
export function isPortOpen(host: string, port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ host, port });
    const done = (ok: boolean) => {
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/**
 * One health probe: connect and describe the namespace (cheap, and proves the namespace exists).
 * Returns an open connection on success (caller closes), or the error.
 */
async function probeFrontend(address: string, namespace: string, timeoutMs: number): Promise<Connection | Error> {
  let conn: Connection | undefined;
  try {
    conn = await Connection.connect({ address, connectTimeout: timeoutMs });
    const c = conn;
    await c.withDeadline(Date.now() + timeoutMs, () => c.workflowService.describeNamespace({ namespace }));
    return c;
  } catch (err) {
    await conn?.close().catch(() => undefined);
    return err as Error;
  }
}

/** Build the `temporal server start-dev` argument list (exported for tests and docs). */
export function devServerArgs(o: {
  dbFile: string | null;
  port: number;
  uiPort: number | null;
  namespace: string;
  ip: string;
  sqlitePragmas: Readonly<Record<string, string>>;
  logLevel?: string;
  dynamicConfig?: Readonly<Record<string, unknown>>;
  extraArgs?: string[];
}): string[] {
  const args = ['server', 'start-dev', '--ip', o.ip, '--port', String(o.port), '--namespace', o.namespace];
  if (o.uiPort === null) args.push('--headless');
  else args.push('--ui-port', String(o.uiPort));
  if (o.dbFile) {
    args.push('--db-filename', o.dbFile);
    for (const [k, v] of Object.entries(o.sqlitePragmas)) args.push('--sqlite-pragma', `${k}=${v}`);
  }
  // Only applied when the database is created; registerSearchAttributes() covers existing files.
  args.push(...devServerSearchAttributeArgs());
  if (o.logLevel) args.push('--log-level', o.logLevel);
  for (const [k, v] of Object.entries(o.dynamicConfig ?? {})) args.push('--dynamic-config-value', `${k}=${JSON.stringify(v)}`);
  args.push(...(o.extraArgs ?? []));
  return args;
}

function writeState(state: EmbeddedServerState): void {
  fs.mkdirSync(path.dirname(serverStateFile()), { recursive: true });
  const tmp = `${serverStateFile()}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state, null, 2));
  fs.renameSync(tmp, serverStateFile());
}

/** The recorded embedded server, or null (no file, unreadable, or its process is gone). */
export function readServerState(): EmbeddedServerState | null {
  try {
    const s = JSON.parse(fs.readFileSync(serverStateFile(), 'utf8')) as EmbeddedServerState;
    return typeof s.pid === 'number' && isProcessAlive(s.pid) ? s : null;
  } catch {
    return null;
  }
}

function clearStateIfPid(pid: number): void {
  try {
    const s = JSON.parse(fs.readFileSync(serverStateFile(), 'utf8')) as EmbeddedServerState;
    if (s.pid === pid) fs.rmSync(serverStateFile(), { force: true });
  } catch {
    /* nothing recorded */
  }
}

/** Send SIGTERM, wait up to graceMs, then SIGKILL; resolves when `pid` is gone. */
async function killAndWait(pid: number, graceMs: number, exited?: Promise<unknown>): Promise<void> {
  const gone = async (ms: number) => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (!isProcessAlive(pid)) return true;
      if (exited) {
        const r = await Promise.race([exited.then(() => true), sleep(100).then(() => false)]);
        if (r) return true;
      } else await sleep(100);
    }
    return !isProcessAlive(pid);
  };
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  if (await gone(graceMs)) return;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  await gone(5000);
}

/**
 * Start `temporal server start-dev`, wait until its frontend answers, register the project's
 * search attributes, and return a handle.
 *
 * Throws (after killing the process) if the server exits early or does not answer within
 * `startTimeoutMs`; the error includes the tail of the server log.
 *
 * @example
 *   const server = await startDevServer({ dbFile: '.toa/temporal.sqlite' });
 *   console.log(`Temporal at ${server.address}, UI ${server.uiUrl}`);
 *   await server.stop();
 */
export async function startDevServer(opts: DevServerOptions = {}): Promise<DevServerHandle> {
  const dir = stateDir();
  const dbFile = opts.dbFile === null ? null : path.resolve(opts.dbFile ?? path.join(dir, 'temporal.sqlite'));
  const port = opts.port ?? 7233;
  const uiPort = opts.uiPort === undefined ? 8233 : opts.uiPort;
  const namespace = opts.namespace ?? 'default';
  const ip = opts.ip ?? '127.0.0.1';
  const logFile = path.resolve(opts.logFile ?? path.join(dir, 'temporal-server.log'));
  const startTimeoutMs = opts.startTimeoutMs ?? 60000;
  const cliPath = opts.cliPath ?? resolveTemporalCli();
  const host = connectHost(ip);
  const address = `${host}:${port}`;
  const uiUrl = uiPort === null ? undefined : `http://${host}:${uiPort}`;

  if (await isPortOpen(host, port)) {
    throw new Error(
      `cannot start the embedded Temporal server: port ${port} on ${host} is already in use. ` +
        `If a Temporal server is running there, set TEMPORAL_ADDRESS=${address} to use it; otherwise stop that process ` +
        `or choose another port (TOA_TEMPORAL_PORT).`,
    );
  }

  if (dbFile) fs.mkdirSync(path.dirname(dbFile), { recursive: true });
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const args = devServerArgs({
    dbFile,
    port,
    uiPort,
    namespace,
    ip,
    sqlitePragmas: opts.sqlitePragmas ?? DEFAULT_SQLITE_PRAGMAS,
    logLevel: opts.logLevel,
    dynamicConfig: opts.dynamicConfig,
    extraArgs: opts.extraArgs,
  });
  const logFd = fs.openSync(logFile, 'a');
  fs.writeSync(logFd, `\n--- ${new Date().toISOString()} ${cliPath} ${args.join(' ')}\n`);
  const logStart = fs.fstatSync(logFd).size;
  let child: ChildProcess;
  try {
    child = spawn(cliPath, args, { detached: !!opts.detached, stdio: ['ignore', logFd, logFd] });
  } finally {
    fs.closeSync(logFd);
  }
  const exited = new Promise<number | string | null>((resolve) => {
    child.once('exit', (code, signal) => resolve(code ?? signal ?? null));
    child.once('error', (err) => resolve(`spawn error: ${err.message}`));
  });
  let exitResult: number | string | null | undefined;
  void exited.then((r) => (exitResult = r));
  if (opts.detached) child.unref();

  // Only what this start wrote (the log file is appended to across runs).
  const logTail = () => tailFile(logFile, 30, logStart);
  const fail = async (why: string): Promise<never> => {
    if (child.pid && exitResult === undefined) await killAndWait(child.pid, 3000, exited);
    const tail = logTail();
    throw new Error(
      `embedded Temporal server (${cliPath}) ${why}.\nCommand: ${cliPath} ${args.join(' ')}\nLog: ${logFile}` +
        (tail ? `\n--- last lines of the log ---\n${tail}` : ''),
    );
  };

  // Wait until healthy.
  const deadline = Date.now() + startTimeoutMs;
  let lastErr: Error | undefined;
  let conn: Connection | undefined;
  while (!conn) {
    await Promise.race([exited, sleep(150)]);
    if (exitResult !== undefined) return fail(`exited during startup (${exitResult})`);
    if (Date.now() > deadline)
      return fail(
        `did not answer on ${address} within ${Math.round(startTimeoutMs / 1000)} s (${lastErr?.message ?? 'no answer'})`,
      );
    if (!(await isPortOpen(host, port, 500))) continue;
    const r = await probeFrontend(address, namespace, 3000);
    if (r instanceof Error) lastErr = r;
    else conn = r;
  }
  try {
    await registerSearchAttributes(conn, namespace);
  } catch (err) {
    await conn.close().catch(() => undefined);
    return fail(`started but registering search attributes failed: ${(err as Error).message}`);
  }
  await conn.close().catch(() => undefined);

  const pid = child.pid!;
  if (opts.recordState !== false) {
    writeState({ pid, address, uiUrl, namespace, dbFile, logFile, port, startedAt: new Date().toISOString(), cliPath });
  }
  return {
    address,
    namespace,
    uiUrl,
    pid,
    dbFile,
    logFile,
    exited,
    async stop({ graceMs = 10000 } = {}) {
      if (exitResult === undefined) await killAndWait(pid, graceMs, exited);
      if (opts.recordState !== false) clearStateIfPid(pid);
    },
  };
}

/** Small cross-process lock (O_EXCL file) so two `toa` processes do not both start a server. */
async function withStartLock<T>(timeoutMs: number, fn: () => Promise<T>): Promise<T> {
  const lock = path.join(stateDir(), 'server.lock');
  fs.mkdirSync(path.dirname(lock), { recursive: true });
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      fs.writeFileSync(lock, String(process.pid), { flag: 'wx' });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      let holder = NaN;
      try {
        holder = Number(fs.readFileSync(lock, 'utf8'));
      } catch {
        /* vanished */
      }
      if (!Number.isFinite(holder) || !isProcessAlive(holder)) {
        fs.rmSync(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${lock} (held by pid ${holder})`);
      await sleep(200);
    }
  }
  try {
    return await fn();
  } finally {
    fs.rmSync(lock, { force: true });
  }
}

function envPort(name: string): number | undefined {
  const v = process.env[name];
  if (!v) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0 || n > 65535) throw new Error(`${name}=${v} is not a valid port`);
  return n;
}

/**
 * Make sure a Temporal server is available and say where it is:
 * 1. TEMPORAL_ADDRESS set → that cluster (TEMPORAL_NAMESPACE, TEMPORAL_API_KEY, TEMPORAL_TLS_* honoured; nothing spawned);
 * 2. this project's embedded server already running (`<stateDir>/server.json` names a live pid
 *    and its frontend answers) → reuse it;
 * 3. otherwise start one **detached** (it outlives the caller), logging to `<stateDir>/temporal-server.log`.
 *
 * Ports for case 3 come from `opts`, else TOA_TEMPORAL_PORT / TOA_TEMPORAL_UI_PORT, else 7233 / 8233.
 */
export async function ensureServer(opts: DevServerOptions = {}): Promise<EnsuredServer> {
  const cluster = targetFromEnv();
  if (cluster) return { ...cluster, mode: 'cluster' };

  const reuse = async (): Promise<EnsuredServer | null> => {
    const s = readServerState();
    if (!s) return null;
    const r = await probeFrontend(s.address, s.namespace, 3000);
    if (r instanceof Error) return null;
    await r.close().catch(() => undefined);
    if (opts.namespace && opts.namespace !== s.namespace) {
      // Same server, other namespace: make sure it exists with our attributes.
      await ensureNamespace(s.address, opts.namespace);
      return {
        address: s.address,
        namespace: opts.namespace,
        uiUrl: s.uiUrl,
        mode: 'reused',
        pid: s.pid,
        logFile: s.logFile,
        dbFile: s.dbFile,
      };
    }
    return {
      address: s.address,
      namespace: s.namespace,
      uiUrl: s.uiUrl,
      mode: 'reused',
      pid: s.pid,
      logFile: s.logFile,
      dbFile: s.dbFile,
    };
  };

  const fast = await reuse();
  if (fast) return fast;
  return withStartLock((opts.startTimeoutMs ?? 60000) + 15000, async () => {
    const again = await reuse();
    if (again) return again;
    const handle = await startDevServer({
      ...opts,
      port: opts.port ?? envPort('TOA_TEMPORAL_PORT') ?? 7233,
      uiPort: opts.uiPort !== undefined ? opts.uiPort : (envPort('TOA_TEMPORAL_UI_PORT') ?? 8233),
      detached: opts.detached ?? true,
      recordState: true,
    });
    return {
      address: handle.address,
      namespace: handle.namespace,
      uiUrl: handle.uiUrl,
      mode: 'started',
      pid: handle.pid,
      logFile: handle.logFile,
      dbFile: handle.dbFile,
    };
  });
}

async function ensureNamespace(address: string, namespace: string): Promise<void> {
  const conn = await Connection.connect({ address });
  try {
    try {
      await conn.workflowService.describeNamespace({ namespace });
    } catch {
      await conn.workflowService
        .registerNamespace({ namespace, workflowExecutionRetentionPeriod: msToTs('3 days') })
        .catch((err: { code?: number }) => {
          if (err?.code !== 6) throw err;
        });
      // The dev server refreshes its namespace cache quickly; wait until it is visible.
      for (let i = 0; i < 50; i++) {
        try {
          await conn.workflowService.describeNamespace({ namespace });
          break;
        } catch {
          await sleep(200);
        }
      }
    }
    await registerSearchAttributes(conn, namespace);
  } finally {
    await conn.close().catch(() => undefined);
  }
}

/**
 * Stop the recorded embedded server (for `toa server stop`). Returns false if none was running.
 */
export async function stopEmbeddedServer(graceMs = 10000): Promise<boolean> {
  const s = readServerState();
  if (!s) {
    fs.rmSync(serverStateFile(), { force: true });
    return false;
  }
  await killAndWait(s.pid, graceMs);
  clearStateIfPid(s.pid);
  return true;
}

/**
 * Run the embedded server in the foreground until SIGINT/SIGTERM (for `toa server`). Prints the
 * address and UI URL through `log`. Resolves after the server has stopped.
 */
export async function runServerForeground(
  opts: DevServerOptions = {},
  log: (line: string) => void = (l) => process.stderr.write(`${l}\n`),
): Promise<void> {
  const existing = readServerState();
  if (existing) {
    throw new Error(
      `an embedded Temporal server from this project is already running (pid ${existing.pid}, ${existing.address}); ` +
        'stop it first with `toa server stop`',
    );
  }
  const server = await startDevServer({
    ...opts,
    port: opts.port ?? envPort('TOA_TEMPORAL_PORT') ?? 7233,
    uiPort: opts.uiPort !== undefined ? opts.uiPort : (envPort('TOA_TEMPORAL_UI_PORT') ?? 8233),
    detached: false,
  });
  log(`Temporal server: ${describeTarget(server)} (pid ${server.pid})`);
  if (server.uiUrl) log(`Temporal UI:     ${server.uiUrl}`);
  log(`Database:        ${server.dbFile ?? '(in memory)'}`);
  log(`Log:             ${server.logFile}`);
  log('Press Ctrl-C to stop.');
  await new Promise<void>((resolve) => {
    const onSignal = () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      void server.stop().then(resolve);
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
    void server.exited.then(() => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      log(`Temporal server exited; see ${server.logFile}`);
      resolve();
    });
  });
}
