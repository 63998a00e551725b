/** Starting `temporal server start-dev` and waiting until it answers. */
import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { Connection } from '@temporalio/client';
import { resolveTemporalCli, stateDir } from '../cli-path';
import { registerSearchAttributes } from '../registerSearchAttributes';
import { serverDynamicConfig } from '../serverTuning';
import { probeFrontend } from './health';
import { connectHost, DEFAULT_SQLITE_PRAGMAS, devServerArgs, type DevServerHandle, type DevServerOptions } from './options';
import { isPortOpen, killAndWait, sleep, tailFile } from './process';
import { clearStateIfPid, writeState } from './state';

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
    // toa's server settings (src/server/serverTuning.ts), the same the cluster and compose get.
    dynamicConfig: { ...serverDynamicConfig(), ...opts.dynamicConfig },
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

