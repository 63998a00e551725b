/**
 * Small process helpers for the local cluster: run a command to completion, check and stop a pid.
 * PostgreSQL's `pg_ctl` and the Temporal server are started in their own session (`detached`),
 * so a Ctrl-C aimed at the command that started them (or at a test run) does not stop them.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run `cmd args` to completion, collecting its output. Never throws for a non-zero exit. */
export function run(
  cmd: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; cwd?: string; detached?: boolean; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: opts.env ?? process.env,
      cwd: opts.cwd,
      detached: opts.detached,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = opts.timeoutMs ? setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs) : undefined;
    child.once('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${cmd}: ${err.message}`));
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Like {@link run}, but a non-zero exit is an error quoting the command and the last lines of its output. */
export async function runChecked(
  cmd: string,
  args: string[],
  opts: Parameters<typeof run>[2] = {},
  what = cmd,
): Promise<RunResult> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) {
    const out = `${r.stdout}\n${r.stderr}`.trim().split('\n').slice(-12).join('\n');
    throw new Error(`${what} failed (exit ${r.code ?? r.signal}): ${cmd} ${args.join(' ')}${out ? `\n${out}` : ''}`);
  }
  return r;
}

/**
 * Is `pid` running? An exited child that its parent has not reaped yet (a zombie) is not: e.g. a
 * server started by a test process that is blocked in spawnSync while another process stops it.
 * But a multi-threaded process (the Go server) whose main thread has exited shows its leader as a
 * zombie while the other threads are still tearing down, holding its sockets: it is running until
 * only the leader is left in /proc/<pid>/task. `procRoot` is for tests.
 */
export function isAlive(pid: number, procRoot = '/proc'): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (!fs.existsSync(path.join(procRoot, 'self')) && procRoot === '/proc') return true; // no /proc (not Linux)
  try {
    const stat = fs.readFileSync(path.join(procRoot, String(pid), 'stat'), 'utf8');
    if (!/^[ZX]/.test(stat.slice(stat.lastIndexOf(')') + 2))) return true;
    return fs.readdirSync(path.join(procRoot, String(pid), 'task')).length > 1;
  } catch {
    return false; // gone between the checks
  }
}

/** Is `pid` alive and running `binary` (guards against a recorded pid reused by another program)? */
export function isProcessOf(pid: number, binary: string): boolean {
  if (!isAlive(pid)) return false;
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] === binary;
  } catch {
    // No /proc (not Linux): trust the pid.
    return true;
  }
}

/** Send `signal`; if the process is still there after `graceMs`, SIGKILL it. Resolves once it is gone. */
export async function stopPid(pid: number, signal: NodeJS.Signals = 'SIGTERM', graceMs = 20000): Promise<void> {
  const gone = async (ms: number) => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if (!isAlive(pid)) return true;
      await sleep(100);
    }
    return !isAlive(pid);
  };
  try {
    process.kill(pid, signal);
  } catch {
    return;
  }
  if (signal === 'SIGKILL' || (await gone(graceMs))) {
    await gone(10000);
    return;
  }
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return;
  }
  await gone(10000);
}

/** Can we listen on 127.0.0.1:port right now? */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

/**
 * A loopback port that was free a moment ago, not in `avoid`, from [20000, 32768): below the
 * kernel's ephemeral range (32768-60999 on Linux), where short-lived outgoing connections would
 * take it away again, and within PostgreSQL's `smallint`, the type of the `rpc_port` column of
 * Temporal's cluster_membership table (a membership port of 32768 or more makes the server exit
 * with "value ... is out of range for type smallint").
 */
export async function freePort(avoid: ReadonlySet<number> = new Set()): Promise<number> {
  for (let i = 0; i < 1000; i++) {
    const port = 20000 + Math.floor(Math.random() * 12768);
    if (!avoid.has(port) && (await isPortFree(port))) return port;
  }
  throw new Error('no free port found in 20000-32767 on 127.0.0.1');
}

/** The last `lines` lines of a file written after byte `from` ('' when unreadable). */
export function tailFile(file: string, lines = 20, from = 0): string {
  try {
    const size = fs.statSync(file).size;
    const start = Math.max(from <= size ? from : 0, size - 64 * 1024);
    const fd = fs.openSync(file, 'r');
    try {
      const buf = Buffer.alloc(size - start);
      fs.readSync(fd, buf, 0, buf.length, start);
      return buf.toString('utf8').trim().split('\n').slice(-lines).join('\n');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return '';
  }
}
