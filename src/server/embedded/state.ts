/**
 * The state file of the running embedded server (`<stateDir>/server.json`), so later `toa`
 * commands reuse it, and stopping it.
 */
import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { stateDir } from '../cli-path';
import { isProcessAlive, killAndWait } from './process';

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

/** Path of the state file recording the running embedded server. */
export function serverStateFile(): string {
  return path.join(stateDir(), 'server.json');
}

export function writeState(state: EmbeddedServerState): void {
  fs.mkdirSync(path.dirname(serverStateFile()), { recursive: true });
  const tmp = `${serverStateFile()}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(state, null, 2));
  fs.renameSync(tmp, serverStateFile());
}

/**
 * The recorded embedded server, or null: no file, unreadable, its process is gone, or its pid now
 * belongs to another program.
 */
export function readServerState(): EmbeddedServerState | null {
  try {
    const s = JSON.parse(fs.readFileSync(serverStateFile(), 'utf8')) as EmbeddedServerState;
    return typeof s.pid === 'number' && isProcessAlive(s.pid) && isRecordedServer(s) ? s : null;
  } catch {
    return null;
  }
}

export function clearStateIfPid(pid: number): void {
  try {
    const s = JSON.parse(fs.readFileSync(serverStateFile(), 'utf8')) as EmbeddedServerState;
    if (s.pid === pid) fs.rmSync(serverStateFile(), { force: true });
  } catch {
    /* nothing recorded */
  }
}

/**
 * The command line of a process ('' when it cannot be read): /proc on Linux, `ps` elsewhere.
 * Used to make sure a recorded pid is still the server we started, not a process that reused it.
 */
export function commandLineOf(pid: number): string {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ').trim();
  } catch {
    try {
      return execFileSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' }).trim();
    } catch {
      return '';
    }
  }
}

/** True when `pid` runs the recorded CLI as `server start-dev` (a reused pid is someone else's process). */
export function isRecordedServer(state: Pick<EmbeddedServerState, 'pid' | 'cliPath'>): boolean {
  const cmd = commandLineOf(state.pid);
  return cmd.includes(state.cliPath) && cmd.includes('start-dev');
}

/**
 * Stop the recorded embedded server (`toa server stop`). Returns false if none was running. Only
 * a process that runs the recorded Temporal CLI as `server start-dev` is signalled: when the pid
 * was reused by another program, the stale state file is removed and nothing is killed.
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
